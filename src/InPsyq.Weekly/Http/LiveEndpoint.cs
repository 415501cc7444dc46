using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary><c>GET /api/health/live</c>: the liveness probe. No auth, no dependency calls.</summary>
public static class LiveEndpoint
{
    public const string Route = "health/live";

    public static IResult Handle() => new JsonResponse(200, new { status = "up" });
}
