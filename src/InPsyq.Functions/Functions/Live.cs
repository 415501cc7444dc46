using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>GET /api/health/live</c>: liveness, no auth, no dependency calls. Its row in <see cref="WeeklyApi.Routes"/> says what answers.</summary>
public sealed class Live(WeeklyApi api)
{
    [Function(nameof(Live))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = WeeklyApi.LiveRoute)] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.HandleAsync(nameof(Live), request, cancellationToken).AsActionResultAsync();
}
