using InPsyq.Weekly.Http;
using InPsyq.Weekly.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>POST /api/internal/jobs/{id}/run</c> (admin secret): runs a job now and returns its result.</summary>
public sealed class RunJob(JobEndpoints endpoints)
{
    [Function(nameof(RunJob))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = JobEndpoints.RunRoute)] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        endpoints.RunAsync(request, id, cancellationToken).AsActionResultAsync();
}
