using InPsyq.Weekly.Http;
using InPsyq.Weekly.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>POST /api/internal/jobs/{id}/cancel</c> (admin secret): cancels the job's running execution on any host.</summary>
public sealed class CancelJob(JobEndpoints endpoints)
{
    [Function(nameof(CancelJob))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = JobEndpoints.CancelRoute)] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        endpoints.CancelAsync(request, id, cancellationToken).AsActionResultAsync();
}
