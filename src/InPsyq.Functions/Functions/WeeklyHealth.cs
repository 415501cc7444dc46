using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>GET /api/internal/health/weekly</c> (admin secret). Its row in <see cref="WeeklyApi.Routes"/> says what answers.</summary>
public sealed class WeeklyHealth(WeeklyApi api)
{
    [Function(nameof(WeeklyHealth))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = WeeklyApi.WeeklyHealthRoute)] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.HandleAsync(nameof(WeeklyHealth), request, cancellationToken).AsActionResultAsync();
}
