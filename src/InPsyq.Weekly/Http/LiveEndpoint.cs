using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary><c>GET /api/health/live</c>: the liveness probe. No auth, no dependency calls.</summary>
public static class LiveEndpoint
{
    public static IResult Handle() => new JsonResponse(StatusCodes.Status200OK, new { status = "up" });
}
