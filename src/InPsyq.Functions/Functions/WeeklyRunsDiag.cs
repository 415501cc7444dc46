using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>GET /api/internal/diag/weekly-runs</c> and <c>…/weekly-runs/{runId}</c> (admin secret). Its row in <see cref="WeeklyApi.Routes"/> says what answers.</summary>
public sealed class WeeklyRunsDiag(WeeklyApi api)
{
    [Function(nameof(WeeklyRunsDiag))]
    public Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = WeeklyApi.WeeklyRunsDiagRoute)] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.HandleAsync(nameof(WeeklyRunsDiag), request, cancellationToken).AsActionResultAsync();

    [Function(nameof(WeeklyRunsDiag) + "Detail")]
    public Task<IActionResult> Detail(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = WeeklyApi.WeeklyRunsDiagDetailRoute)] HttpRequest request,
        string runId,
        CancellationToken cancellationToken) =>
        api.HandleAsync(nameof(WeeklyRunsDiag) + "Detail", request, new Dictionary<string, string> { ["runId"] = runId }, cancellationToken).AsActionResultAsync();
}
