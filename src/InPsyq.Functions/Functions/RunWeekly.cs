using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary>
/// <c>POST /api/internal/run-weekly</c>. Anonymous at the Functions level on purpose: the handler checks the
/// cron secret itself, and answers other methods with 405 as the contract requires.
/// </summary>
public sealed class RunWeekly(RunWeeklyEndpoint endpoint)
{
    [Function(nameof(RunWeekly))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = RunWeeklyEndpoint.Route)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoint.HandleAsync(request, cancellationToken).AsActionResultAsync();
}
