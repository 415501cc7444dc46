using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Runs;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Health;

/// <summary>
/// <c>weekly_run</c>: judges the most recent week whose <c>WEEKLY_DEADLINE</c> has passed. Unhealthy when that week
/// does not count as run (no unscoped FULL run for it ended completed or partial); degraded when its latest counting
/// run is partial, when the last two finished unscoped runs failed, or when nothing has ever run. Running and locked
/// runs are neither finished nor failures.
/// </summary>
public sealed class WeeklyRunHealthCheck(WeeklyRunStore runs, IOptions<WeeklyRunOptions> options, TimeProvider time) : IHealthCheck
{
    private const string Unit = "run_status";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var week = WeekCoverage.LatestWeekPastDeadline(time.GetUtcNow(), options.Value.Deadline);
        var (anyRun, counting, inProgress, lastTwoFailed) = await runs.SummarizeWeekAsync(week, cancellationToken);

        var due = $"week {week.Label} (due {WeekCoverage.DeadlineOf(week, options.Value.Deadline):yyyy-MM-dd HH:mm} UTC)";
        return (anyRun, counting) switch
        {
            (false, _) => HealthCheckResult.Degraded("No run yet: no weekly run has been recorded.", data: HealthObservation.Of("none", Unit)),
            (_, null) when inProgress => HealthCheckResult.Degraded($"No counting run for {due} yet; a run for it is in progress.", data: HealthObservation.Of("running", Unit)),
            (_, null) => HealthCheckResult.Unhealthy($"No completed or partial unscoped FULL run for {due}.", data: HealthObservation.Of("missing", Unit)),
            (_, "partial") => HealthCheckResult.Degraded($"The latest counting run for {week.Label} ended partial.", data: HealthObservation.Of(counting, Unit)),
            _ when lastTwoFailed => HealthCheckResult.Degraded($"The last two finished unscoped runs failed ({week.Label} itself counts as run).", data: HealthObservation.Of(counting, Unit)),
            _ => HealthCheckResult.Healthy($"{week.Label} counts as run.", data: HealthObservation.Of(counting, Unit)),
        };
    }
}
