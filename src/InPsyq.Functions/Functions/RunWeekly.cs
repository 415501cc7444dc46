using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>POST /api/internal/run-weekly</c> (cron secret): a weekly run. Its row in <see cref="WeeklyApi.Routes"/> says what answers.</summary>
public sealed class RunWeekly(WeeklyApi api)
{
    [Function(nameof(RunWeekly))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = WeeklyApi.RunWeeklyRoute)] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.HandleAsync(nameof(RunWeekly), request, cancellationToken).AsActionResultAsync();
}
