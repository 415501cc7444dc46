using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>GET /api/internal/diag/jobs</c> (admin secret). Its row in <see cref="WeeklyApi.Routes"/> says what answers.</summary>
public sealed class JobsDiag(WeeklyApi api)
{
    [Function(nameof(JobsDiag))]
    public Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = WeeklyApi.JobsDiagRoute)] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.HandleAsync(nameof(JobsDiag), request, cancellationToken).AsActionResultAsync();
}
