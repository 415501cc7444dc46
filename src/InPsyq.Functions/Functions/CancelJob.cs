using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>POST /api/internal/jobs/{id}/cancel</c> (admin secret): cancels the job's running execution on any host. Its row in <see cref="WeeklyApi.Routes"/> says what answers.</summary>
public sealed class CancelJob(WeeklyApi api)
{
    [Function(nameof(CancelJob))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = WeeklyApi.CancelJobRoute)] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        api.HandleAsync(nameof(CancelJob), request, new Dictionary<string, string> { ["id"] = id }, cancellationToken).AsActionResultAsync();
}
