using System.Text.Json;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.ScheduledJobs;

/// <summary>
/// <c>db-maintenance</c>: <c>ANALYZE</c> of the pipeline's tables (autovacuum handles vacuuming), then as metrics
/// each table's total size and estimated rows, and the weekly ops metrics: the 7-day run aggregates of the
/// diagnostics endpoint and the job attempts of the last 7 days by status. It runs as the migrator, the tables' owner:
/// PostgreSQL skips <c>ANALYZE</c> of a table for anyone else (PostgreSQL 17: anyone without <c>MAINTAIN</c>).
/// </summary>
public sealed class DbMaintenanceJob(MigratorDataSource migrator, WeeklyRunStore runs, JobExecutionLog executions, TimeProvider time) : IJob
{
    public const string Id = "db-maintenance";

    private static readonly string[] s_pipelineTables =
    [
        "weekly_aggregates", "team_series", "weekly_interpretations", "weekly_runs", "weekly_lock_fences",
        "scheduled_job_executions", "alert_outbox", "alert_incidents",
    ];

    public static JobDefinition Define(IServiceProvider services, JobHandler handler) =>
        new(Id, "Database maintenance", services.GetRequiredService<IOptions<JobsOptions>>().Value.DbMaintenanceSchedule, handler)
        {
            Timeout = TimeSpan.FromMinutes(10),
            Retry = new RetryPolicy(2, TimeSpan.FromSeconds(30), 2, TimeSpan.FromMinutes(2)),
            HasAzureTimer = true,
        };

    public async Task<JobOutcome?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        await using (var analyze = migrator.DataSource.CreateCommand($"analyze {string.Join(", ", s_pipelineTables)}"))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        await using (var sizes = migrator.DataSource.CreateCommand("""
            select t.name, pg_total_relation_size(c.oid), greatest(c.reltuples, 0)::float8
            from unnest($1::text[]) as t(name) join pg_class c on c.oid = to_regclass(t.name)
            """))
        {
            sizes.Parameters.Add(new() { Value = s_pipelineTables });
            await using var reader = await sizes.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                metrics[$"table_bytes.{reader.GetString(0)}"] = reader.GetInt64(1);
                metrics[$"table_rows.{reader.GetString(0)}"] = reader.GetDouble(2);
            }
        }

        var now = time.GetUtcNow();
        var aggregates = await runs.AggregatesAsync(now, cancellationToken);
        AddNumbers(metrics, "runs_7d", aggregates.GetProperty("7d"));
        foreach (var (status, count) in await executions.CountByStatusSinceAsync(now.AddDays(-7), cancellationToken))
        {
            metrics[$"job_attempts_7d.{status}"] = count;
        }

        return JobOutcome.Succeeded(new { Analyzed = s_pipelineTables }, metrics);
    }

    /// <summary>Flattens the numeric leaves of a JSON object into dotted metric names (nulls have no value to report).</summary>
    private static void AddNumbers(Dictionary<string, double> metrics, string prefix, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    AddNumbers(metrics, $"{prefix}.{property.Name}", property.Value);
                }

                break;
            case JsonValueKind.Number:
                metrics[prefix] = element.GetDouble();
                break;
        }
    }
}
