using System.Globalization;
using Npgsql;

namespace InPsyq.Weekly.Health;

/// <summary>
/// <c>jobs</c>: degraded when a job's latest finished attempt in <c>scheduled_job_executions</c> failed or timed out.
/// Judged from that table alone: job definitions and schedules are not configured in this build, so an overdue job
/// (a schedule without recent executions) cannot be detected yet, and a job that never ran is healthy.
/// </summary>
public sealed class JobsHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    private const string Scope = "Judged from scheduled_job_executions only (job schedules are not configured yet, so overdue jobs are not detected).";

    public string Name => "jobs";

    public async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select job_id, status from (
                select distinct on (job_id) job_id, status from scheduled_job_executions
                where status <> 'running'
                order by job_id, started_at desc, attempt desc) latest
            where status in ('failed', 'timed_out')
            order by job_id
            """);
        var failing = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                failing.Add($"{reader.GetString(0)} ({reader.GetString(1)})");
            }
        }

        var observed = failing.Count.ToString(CultureInfo.InvariantCulture);
        return failing.Count == 0
            ? HealthCheckResult.Healthy($"No job's latest attempt failed. {Scope}", observed, "jobs_failing")
            : HealthCheckResult.Degraded($"Latest attempt failed: {string.Join(", ", failing)}. {Scope}", observed, "jobs_failing");
    }
}
