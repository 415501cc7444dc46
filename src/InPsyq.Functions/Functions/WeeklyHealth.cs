using InPsyq.Weekly.Health;
using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>GET /api/internal/health/weekly</c> (admin secret).</summary>
public sealed class WeeklyHealth(WeeklyHealthEndpoint endpoint)
{
    [Function(nameof(WeeklyHealth))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = WeeklyHealthEndpoint.Route)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoint.HandleAsync(request, cancellationToken).AsActionResultAsync();
}
