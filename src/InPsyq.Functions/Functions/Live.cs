using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>GET /api/health/live</c>: liveness, no auth, no dependency calls.</summary>
public sealed class Live
{
    [Function(nameof(Live))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = LiveEndpoint.Route)] HttpRequest request) =>
        Task.FromResult(LiveEndpoint.Handle()).AsActionResultAsync();
}
