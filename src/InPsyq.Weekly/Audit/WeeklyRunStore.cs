using System.Text.Json;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Audit;

/// <summary>
/// The start of an audited run, recorded as <c>running</c> before any work. A run worked as items has a
/// <see cref="Deadline"/>: its <c>deadline_at</c> is Postgres's <c>now()</c> plus it, the clock every instance compares with.
/// </summary>
/// <param name="Trace">The trace context of the run's root span: every item message of the run carries it.</param>
public sealed record RunStart(Guid RunId, RunTrigger Trigger, RunRequest Request, DateTimeOffset StartedAt, string Host, TimeSpan? Deadline = null, RunTrace? Trace = null);

/// <summary>What a worker needs to know of the run whose item it works: the request, and the time left by Postgres's clock.</summary>
public sealed record RunWork(Guid RunId, RunTrigger Trigger, RunRequest Request, string Status, TimeSpan? DeadlineIn, DateTimeOffset StartedAt);

/// <summary>
/// Which part of the run history to read, newest first: the filters (null: any), the <c>(started_at, run_id)</c>
/// after which to continue, at most <see cref="Count"/> rows, with or without each run's <c>details</c>.
/// </summary>
public sealed record RunHistoryQuery(
    DateOnly? WeekStart, string? Status, string? Trigger, DateTime? AfterStartedAtUtc, Guid? AfterRunId, int Count, bool WithDetails);

/// <summary>
/// What the <c>weekly_run</c> health check judges about a week: whether any run was ever recorded, the status of the
/// week's latest run that counts (see <see cref="WeekCoverage"/>), whether an unscoped FULL run for it is in progress,
/// and whether the last two finished unscoped runs (of any week) failed.
/// </summary>
public sealed record WeekRunSummary(bool AnyRun, string? CountingStatus, bool InProgress, bool LastTwoFinishedFailed);

/// <summary>A run the reaper marked abandoned: what an alert and the run metrics need.</summary>
public sealed record AbandonedRun(Guid RunId, string Scope, DateOnly WeekStart, string Trigger, string Mode, long DurationMs);

/// <summary>
/// <c>weekly_runs</c>, the audit trail, and every statement on it: one row per non-dry run, inserted <c>running</c>
/// before work starts and finished in a <c>finally</c> (if Postgres is down when a run ends the finish is retried for
/// a while; failing that, the row stays <c>running</c> and the reaper marks it abandoned); then what the run history,
/// the health checks and the maintenance jobs read, mark or delete.
/// </summary>
public sealed partial class WeeklyRunStore(
    NpgsqlDataSource dataSource,
    IOptions<WeeklyRunOptions> options,
    TimeProvider time,
    ILogger<WeeklyRunStore> logger)
{
    /// <summary>The SQL condition on a row that makes its week count as run (<see cref="WeekCoverage.Counts"/> for a run that just finished).</summary>
    private const string CountingRun = "scope = 'all' and mode = 'FULL' and status in ('completed', 'partial')";

    /// <summary>The columns of the run history; <c>details</c> (the per-team stage results) is added where wanted.</summary>
    private const string HistoryColumns = """
        run_id, trigger, week_start, week_label, scope, mode, force, status, error, host, started_at, finished_at, duration_ms,
        orgs_total, orgs_succeeded, orgs_failed, teams_total, teams_succeeded, teams_failed, teams_skipped,
        aggregates_written, aggregates_skipped, attributions_written, attributions_skipped,
        interpretations_written, interpretations_skipped, interpretations_failed, llm_tokens_in, llm_tokens_out, notes
        """;

    private const string WeekSummarySql = $"""
        select
            exists (select 1 from weekly_runs),
            (select status from weekly_runs
             where week_start = $1 and {CountingRun}
             order by started_at desc limit 1),
            exists (select 1 from weekly_runs where week_start = $1 and scope = 'all' and mode = 'FULL' and status = 'running'),
            (select count(*) = 2 and bool_and(status = 'failed') from (
                select status from weekly_runs
                where scope = 'all' and status not in ('running', 'locked')
                order by started_at desc limit 2) latest)
        """;

    private const string AggregatesSql = """
        with windows (name, since) as (
            values ('7d', $1 - interval '7 days'), ('30d', $1 - interval '30 days'), ('90d', $1 - interval '90 days')),
        runs as (
            select w.name, r.status, r.duration_ms, r.llm_tokens_in, r.llm_tokens_out, r.details
            from windows w join weekly_runs r on r.started_at >= w.since and r.started_at <= $1),
        by_status as (
            select name, jsonb_object_agg(status, n) as counts
            from (select name, status, count(*) as n from runs group by name, status) counted
            group by name),
        run_stats as (
            select name,
                count(*) filter (where status in ('failed', 'abandoned'))::float8
                    / nullif(count(*) filter (where status not in ('running', 'locked')), 0) as failure_rate,
                percentile_disc(0.5) within group (order by duration_ms) filter (where status not in ('running', 'locked')) as p50,
                percentile_disc(0.95) within group (order by duration_ms) filter (where status not in ('running', 'locked')) as p95,
                sum(llm_tokens_in) as tokens_in,
                sum(llm_tokens_out) as tokens_out
            from runs group by name),
        team_stats as (
            select r.name,
                count(*) filter (where stage->>'status' in ('failed', 'timed_out'))::float8 / count(*) as failure_rate
            from runs r
            cross join lateral jsonb_array_elements(coalesce(r.details->'teams', '[]'::jsonb)) team
            cross join lateral jsonb_array_elements(coalesce(team->'stages', '[]'::jsonb)) stage
            where stage->>'status' <> 'skipped'
            group by r.name)
        select jsonb_object_agg(w.name, jsonb_build_object(
            'runs_by_status', coalesce(b.counts, '{}'::jsonb),
            'failure_rate', jsonb_build_object('runs', rs.failure_rate, 'teams', ts.failure_rate),
            'duration_ms', jsonb_build_object('p50', rs.p50, 'p95', rs.p95),
            'llm_tokens', jsonb_build_object('in', coalesce(rs.tokens_in, 0), 'out', coalesce(rs.tokens_out, 0))))
        from windows w
        left join by_status b using (name)
        left join run_stats rs using (name)
        left join team_stats ts using (name)
        """;

    private static readonly TimeSpan s_retryDelay = TimeSpan.FromMilliseconds(500);

    public async Task StartAsync(RunStart run, CancellationToken cancellationToken)
    {
        var request = run.Request;
        await using var command = dataSource.CreateCommand("""
            insert into weekly_runs (run_id, trigger, week_start, week_label, scope, org_id, team_id, mode, force, status, host, started_at, deadline_at, heartbeat_at,
                caller_oid, caller_app_id, traceparent, tracestate)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'running', $10, $11, now() + $12, now(), $13, $14, $15, $16)
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
        command.Parameters.Add(new() { Value = (object?)run.Deadline ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new() { Value = (object?)request.Caller?.ObjectId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)request.Caller?.AppId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)run.Trace?.Traceparent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)run.Trace?.Tracestate ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The trace context of a run's root span; null when the run was admitted without one (or does not exist).</summary>
    public async Task<RunTrace?> TraceAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select traceparent, tracestate from weekly_runs where run_id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0)
            ? RunTrace.Of(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1))
            : null;
    }

    /// <summary>A run's request and time left, for a worker about to work one of its items; null when no such run exists.</summary>
    public async Task<RunWork?> FindWorkAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select trigger, week_start, org_id, team_id, mode, force, status, deadline_at - now(), started_at
            from weekly_runs where run_id = $1
            """);
        command.Parameters.Add(new() { Value = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        if (!RunNames.TryParseMode(reader.GetString(4), out var mode))
        {
            throw new InvalidOperationException($"Run {runId} has an unknown mode.");
        }

        var request = new RunRequest(
            IsoWeek.FromMonday(reader.GetFieldValue<DateOnly>(1)),
            reader.IsDBNull(2) ? null : reader.GetGuid(2),
            reader.IsDBNull(3) ? null : reader.GetGuid(3),
            mode,
            DryRun: false,
            reader.GetBoolean(5));
        return new RunWork(
            runId, RunNames.TriggerOf(reader.GetString(0)), request, reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<TimeSpan>(7), reader.GetFieldValue<DateTimeOffset>(8));
    }

    /// <summary>Says the run is alive (Postgres's clock): every worker holding one of its items does, at least every 30 s.</summary>
    public async Task HeartbeatAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("update weekly_runs set heartbeat_at = now() where run_id = $1 and status = 'running'");
        command.Parameters.Add(new() { Value = runId });
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
                llm_tokens_in = $22, llm_tokens_out = $23, report = $24
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

        command.Parameters.Add(new() { Value = JsonSerializer.Serialize(report, WeeklyJson.Options), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>The final report of a finished run (null while it runs, or when it has none: abandoned).</summary>
    public async Task<RunReport?> ReportAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select report::text from weekly_runs where run_id = $1");
        command.Parameters.Add(new() { Value = runId });
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? JsonSerializer.Deserialize<RunReport>(json, WeeklyJson.Options) : null;
    }

    /// <summary>Whether an audited run exists for the week (any trigger, any outcome): the scheduler's catch-up test.</summary>
    public async Task<bool> AnyRunForWeekAsync(IsoWeek week, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select exists (select 1 from weekly_runs where week_start = $1 and scope = 'all')");
        command.Parameters.Add(new() { Value = week.Monday });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The run history, newest first (<c>started_at</c>, then <c>run_id</c>), one column → value map per run.</summary>
    public async Task<List<Dictionary<string, object?>>> ListAsync(RunHistoryQuery query, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            select {HistoryColumns}{(query.WithDetails ? ", details" : string.Empty)} from weekly_runs
            where ($1::date is null or week_start = $1) and ($2::text is null or status = $2) and ($3::text is null or trigger = $3)
              and ($4::timestamptz is null or (started_at, run_id) < ($4, $5))
            order by started_at desc, run_id desc
            limit $6
            """);
        command.Parameters.Add(new() { Value = (object?)query.WeekStart ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new() { Value = (object?)query.Status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)query.Trigger ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)query.AfterStartedAtUtc ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = (object?)query.AfterRunId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = query.Count });
        return await ColumnMaps.ReadAsync(command, cancellationToken);
    }

    /// <summary>One run with its details, or null when no run has this id.</summary>
    public async Task<Dictionary<string, object?>?> FindAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select {HistoryColumns}, details from weekly_runs where run_id = $1");
        command.Parameters.Add(new() { Value = runId });
        var runs = await ColumnMaps.ReadAsync(command, cancellationToken);
        return runs.Count == 0 ? null : runs[0];
    }

    /// <summary>
    /// The 7/30/90-day aggregates of the run history, computed in SQL over runs started in each window up to
    /// <paramref name="now"/>: runs by status; run failure rate = (failed + abandoned) / finished runs, locked excluded;
    /// team failure rate = (failed + timed_out) / team-stage results of the runs' details, skipped excluded; p50/p95
    /// duration of finished, non-locked runs by nearest rank (<c>percentile_disc</c>); LLM tokens in and out. A rate
    /// with nothing to divide is null.
    /// </summary>
    public async Task<JsonElement> AggregatesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(AggregatesSql);
        command.Parameters.Add(new() { Value = now });
        var json = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    /// <summary>What the <c>weekly_run</c> health check needs to judge <paramref name="week"/>.</summary>
    public async Task<WeekRunSummary> SummarizeWeekAsync(IsoWeek week, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WeekSummarySql);
        command.Parameters.Add(new() { Value = week.Monday });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new WeekRunSummary(reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3));
    }

    /// <summary>When the first recorded run started (when the pipeline was installed), or null when none was recorded.</summary>
    public async Task<DateTimeOffset?> FirstStartedAtAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select min(started_at) from weekly_runs");
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime first ? new DateTimeOffset(first, TimeSpan.Zero) : null;
    }

    /// <summary>Those of <paramref name="weeks"/> (Mondays) that count as run (see <see cref="WeekCoverage"/>).</summary>
    public async Task<HashSet<DateOnly>> CountedWeeksAsync(IEnumerable<DateOnly> weeks, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select distinct week_start from weekly_runs where week_start = any($1) and {CountingRun}");
        command.Parameters.Add(new() { Value = weeks.ToArray() });
        var counted = new HashSet<DateOnly>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counted.Add(reader.GetFieldValue<DateOnly>(0));
        }

        return counted;
    }

    /// <summary>How many runs were marked abandoned (finished, or else started) at or after <paramref name="since"/>.</summary>
    public async Task<long> CountAbandonedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select count(*) from weekly_runs where status = 'abandoned' and coalesce(finished_at, started_at) >= $1");
        command.Parameters.Add(new() { Value = since });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The runs still <c>running</c> that started before <paramref name="startedBefore"/>, oldest first: the reaper's candidates.</summary>
    public async Task<List<Guid>> ListRunningStartedBeforeAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select run_id from weekly_runs where status = 'running' and started_at < $1 order by started_at");
        command.Parameters.Add(new() { Value = startedBefore });
        var runIds = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runIds.Add(reader.GetGuid(0));
        }

        return runIds;
    }

    /// <summary>Which of <paramref name="runIds"/> are still <c>running</c> (the others are final, or unknown).</summary>
    public async Task<HashSet<Guid>> WhichRunningAsync(IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken)
    {
        var running = new HashSet<Guid>();
        if (runIds.Count == 0)
        {
            return running;
        }

        await using var command = dataSource.CreateCommand("select run_id from weekly_runs where run_id = any($1) and status = 'running'");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. runIds] });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            running.Add(reader.GetGuid(0));
        }

        return running;
    }

    /// <summary>The runs still <c>running</c> whose last heartbeat (Postgres's clock) is older than <paramref name="stall"/>.</summary>
    public async Task<List<Guid>> ListStalledAsync(TimeSpan stall, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select run_id from weekly_runs where status = 'running' and heartbeat_at < now() - $1 order by started_at");
        command.Parameters.Add(new() { Value = stall });
        var runIds = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runIds.Add(reader.GetGuid(0));
        }

        return runIds;
    }

    /// <summary>
    /// Marks the given runs <c>abandoned</c> at <paramref name="now"/> with <paramref name="error"/>, those still
    /// <c>running</c> only (so a run that finished meanwhile is not overwritten); returns the runs it marked.
    /// </summary>
    public async Task<List<AbandonedRun>> MarkAbandonedAsync(IEnumerable<Guid> runIds, string error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            update weekly_runs
            set status = 'abandoned', finished_at = greatest($2, started_at),
                duration_ms = floor(extract(epoch from greatest($2, started_at) - started_at) * 1000)::bigint,
                error = $3
            where run_id = any($1) and status = 'running'
            returning run_id, scope, week_start, trigger, mode, duration_ms
            """);
        command.Parameters.Add(new() { Value = runIds.ToArray() });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = error });
        var abandoned = new List<AbandonedRun>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            abandoned.Add(new AbandonedRun(
                reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateOnly>(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
        }

        return abandoned;
    }

    /// <summary>Deletes the finished runs (any status but <c>running</c>) started before <paramref name="startedBefore"/>; returns how many.</summary>
    public async Task<int> DeleteFinishedStartedBeforeAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("delete from weekly_runs where status <> 'running' and started_at < $1");
        command.Parameters.Add(new() { Value = startedBefore });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not finish the audit row of run {RunId} (attempt {Attempt}, {Reason}); retrying")]
    private partial void LogFinishRetry(Guid runId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up finishing the audit row of run {RunId} ({Reason}); it stays 'running' until the reaper marks it abandoned")]
    private partial void LogFinishAbandoned(Guid runId, string reason);
}
