using InPsyq.Weekly.Diagnostics;
using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>GET /api/internal/diag/weekly-runs</c> and <c>…/weekly-runs/{runId}</c> (admin secret).</summary>
public sealed class WeeklyRunsDiag(WeeklyRunsDiagEndpoint endpoint)
{
    [Function(nameof(WeeklyRunsDiag))]
    public Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = WeeklyRunsDiagEndpoint.Route)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoint.ListAsync(request, cancellationToken).AsActionResultAsync();

    [Function(nameof(WeeklyRunsDiag) + "Detail")]
    public Task<IActionResult> Detail(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = WeeklyRunsDiagEndpoint.Route + "/{runId}")] HttpRequest request,
        string runId,
        CancellationToken cancellationToken) =>
        endpoint.GetAsync(request, runId, cancellationToken).AsActionResultAsync();
}
