using System.Globalization;
using InPsyq.Weekly.Jobs;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace InPsyq.Weekly.Health;

/// <summary>
/// <c>jobs</c>: degraded when an enabled job's latest finished attempt in <c>scheduled_job_executions</c> failed or
/// timed out, or when it is overdue by more than two periods (its third occurrence after its latest start has
/// passed). A job that never ran is healthy: it may simply not have been due yet.
/// </summary>
public sealed class JobsHealthCheck(NpgsqlDataSource dataSource, JobRegistry registry, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var enabled = registry.Jobs.Where(job => job.Definition.Enabled).ToDictionary(job => job.Id, StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand("""
            select job_id,
                (array_agg(status order by started_at desc, attempt desc) filter (where status <> 'running'))[1],
                max(started_at)
            from scheduled_job_executions
            where job_id = any($1)
            group by job_id
            order by job_id
            """);
        command.Parameters.Add(new() { Value = enabled.Keys.ToArray() });
        var now = time.GetUtcNow();
        var problems = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var jobId = reader.GetString(0);
                if (!reader.IsDBNull(1) && reader.GetString(1) is "failed" or "timed_out")
                {
                    problems.Add($"{jobId} ({reader.GetString(1)})");
                }

                var lastStart = new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero);
                var schedule = enabled[jobId].Schedule;
                var due = schedule.NextOccurrenceAfter(lastStart);
                if (schedule.NextOccurrenceAfter(schedule.NextOccurrenceAfter(due)) < now)
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"{jobId} (overdue since {due:yyyy-MM-dd HH:mm} UTC)"));
                }
            }
        }

        var observed = problems.Count.ToString(CultureInfo.InvariantCulture);
        return problems.Count == 0
            ? HealthCheckResult.Healthy($"No enabled job's latest attempt failed and none is overdue ({enabled.Count} enabled).", data: HealthObservation.Of(observed, "jobs_unhealthy"))
            : HealthCheckResult.Degraded($"Failing or overdue: {string.Join(", ", problems)}.", data: HealthObservation.Of(observed, "jobs_unhealthy"));
    }
}
