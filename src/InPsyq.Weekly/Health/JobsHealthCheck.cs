using System.Globalization;
using InPsyq.Weekly.Jobs;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InPsyq.Weekly.Health;

/// <summary>
/// <c>jobs</c>: degraded when an enabled job's latest finished attempt in <c>scheduled_job_executions</c> failed or
/// timed out, or when it is overdue by more than two periods (its third occurrence after its latest start has
/// passed). A job that never ran is healthy: it may simply not have been due yet.
/// </summary>
public sealed class JobsHealthCheck(JobExecutionLog executions, JobRegistry registry, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var enabled = registry.Jobs.Where(job => job.Definition.Enabled).ToDictionary(job => job.Id, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var problems = new List<string>();
        foreach (var (jobId, latestFinished, lastStart) in await executions.SummarizeAsync(enabled.Keys, cancellationToken))
        {
            if (latestFinished is "failed" or "timed_out")
            {
                problems.Add($"{jobId} ({latestFinished})");
            }

            var schedule = enabled[jobId].Schedule;
            var due = schedule.NextOccurrenceAfter(lastStart);
            if (schedule.NextOccurrenceAfter(schedule.NextOccurrenceAfter(due)) < now)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{jobId} (overdue since {due:yyyy-MM-dd HH:mm} UTC)"));
            }
        }

        var observed = problems.Count.ToString(CultureInfo.InvariantCulture);
        return problems.Count == 0
            ? HealthCheckResult.Healthy($"No enabled job's latest attempt failed and none is overdue ({enabled.Count} enabled).", data: HealthObservation.Of(observed, "jobs_unhealthy"))
            : HealthCheckResult.Degraded($"Failing or overdue: {string.Join(", ", problems)}.", data: HealthObservation.Of(observed, "jobs_unhealthy"));
    }
}
