using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>POST /api/internal/jobs/{id}/run</c> (admin secret): runs a job now and returns its result. Its row in <see cref="WeeklyApi.Routes"/> says what answers.</summary>
public sealed class RunJob(WeeklyApi api)
{
    [Function(nameof(RunJob))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = WeeklyApi.RunJobRoute)] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        api.HandleAsync(nameof(RunJob), request, new Dictionary<string, string> { ["id"] = id }, cancellationToken).AsActionResultAsync();
}
