using System.Text.Json;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Audit;

/// <summary>The start of an audited run, recorded as <c>running</c> before any work.</summary>
public sealed record RunStart(Guid RunId, RunTrigger Trigger, RunRequest Request, DateTimeOffset StartedAt, string Host);

/// <summary>
/// The <c>weekly_runs</c> audit trail: one row per non-dry run, inserted <c>running</c> before work starts and
/// finished in a <c>finally</c>. If Postgres is down when a run ends the finish is retried for a while; failing
/// that, the row stays <c>running</c> and the reaper marks it abandoned.
/// </summary>
public sealed partial class WeeklyRunStore(
    NpgsqlDataSource dataSource,
    IOptions<WeeklyRunOptions> options,
    TimeProvider time,
    ILogger<WeeklyRunStore> logger)
{
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromMilliseconds(500);

    public async Task StartAsync(RunStart run, CancellationToken cancellationToken)
    {
        var request = run.Request;
        await using var command = dataSource.CreateCommand("""
            insert into weekly_runs (run_id, trigger, week_start, week_label, scope, org_id, team_id, mode, force, status, host, started_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'running', $10, $11)
            """);
        command.Parameters.Add(new() { Value = run.RunId });
        command.Parameters.Add(new() { Value = run.Trigger.ToWire() });
        command.Parameters.Add(new() { Value = request.Week.Monday });
        command.Parameters.Add(new() { Value = request.Week.Label });
        command.Parameters.Add(new() { Value = request.Scope });
        command.Parameters.Add(new() { Value = (object?)request.OrgId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = (object?)request.TeamId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = request.Mode.ToWire() });
        command.Parameters.Add(new() { Value = request.Force });
        command.Parameters.Add(new() { Value = run.Host });
        command.Parameters.Add(new() { Value = run.StartedAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Finishes the row from the report; retries while Postgres is unreachable, then gives up loudly.</summary>
    public async Task FinishAsync(RunReport report, string? error, DateTimeOffset finishedAt)
    {
        var giveUpAt = time.GetUtcNow() + options.Value.AuditFinishRetry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteFinishAsync(report, error, finishedAt);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && time.GetUtcNow() < giveUpAt)
            {
                LogFinishRetry(report.RunId, attempt, e.GetType().Name);
                await Task.Delay(s_retryDelay, time);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogFinishAbandoned(report.RunId, e.GetType().Name);
                return;
            }
        }
    }

    private async Task WriteFinishAsync(RunReport report, string? error, DateTimeOffset finishedAt)
    {
        var counts = report.Counts;
        await using var command = dataSource.CreateCommand("""
            update weekly_runs set
                status = $2, error = $3, details = $4, notes = $5, finished_at = $6, duration_ms = $7,
                orgs_total = $8, orgs_succeeded = $9, orgs_failed = $10,
                teams_total = $11, teams_succeeded = $12, teams_failed = $13, teams_skipped = $14,
                aggregates_written = $15, aggregates_skipped = $16, attributions_written = $17, attributions_skipped = $18,
                interpretations_written = $19, interpretations_skipped = $20, interpretations_failed = $21,
                llm_tokens_in = $22, llm_tokens_out = $23
            where run_id = $1
            """);
        var details = new { teams = report.Teams, errors = report.Errors };
        command.Parameters.Add(new() { Value = report.RunId });
        command.Parameters.Add(new() { Value = report.Status.ToWire() });
        command.Parameters.Add(new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(details, WeeklyJson.Options), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(report.Notes, WeeklyJson.Options), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = finishedAt });
        command.Parameters.Add(new() { Value = report.DurationMs });
        foreach (var value in new object[]
                 {
                     counts.OrgsTotal, counts.OrgsSucceeded, counts.OrgsFailed,
                     counts.TeamsTotal, counts.TeamsSucceeded, counts.TeamsFailed, counts.TeamsSkipped,
                     counts.AggregatesWritten, counts.AggregatesSkipped, counts.AttributionsWritten, counts.AttributionsSkipped,
                     counts.InterpretationsWritten, counts.InterpretationsSkipped, counts.InterpretationsFailed,
                     counts.LlmTokensIn, counts.LlmTokensOut,
                 })
        {
            command.Parameters.Add(new() { Value = value });
        }

        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>Whether an audited run exists for the week (any trigger, any outcome): the scheduler's catch-up test.</summary>
    public async Task<bool> AnyRunForWeekAsync(IsoWeek week, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select exists (select 1 from weekly_runs where week_start = $1 and scope = 'all')");
        command.Parameters.Add(new() { Value = week.Monday });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not finish the audit row of run {RunId} (attempt {Attempt}, {Reason}); retrying")]
    private partial void LogFinishRetry(Guid runId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up finishing the audit row of run {RunId} ({Reason}); it stays 'running' until the reaper marks it abandoned")]
    private partial void LogFinishAbandoned(Guid runId, string reason);
}
