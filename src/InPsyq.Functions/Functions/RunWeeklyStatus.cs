using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>GET /api/internal/run-weekly/{runId}</c> (cron secret): a run's progress, then its report. Its row in <see cref="WeeklyApi.Routes"/> says what answers.</summary>
public sealed class RunWeeklyStatus(WeeklyApi api)
{
    [Function(nameof(RunWeeklyStatus))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = WeeklyApi.RunWeeklyStatusRoute)] HttpRequest request,
        string runId,
        CancellationToken cancellationToken) =>
        api.HandleAsync(nameof(RunWeeklyStatus), request, new Dictionary<string, string> { ["runId"] = runId }, cancellationToken).AsActionResultAsync();
}
