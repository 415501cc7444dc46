using System.Text.Json;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Storage;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Jobs;

/// <summary>A job attempt the reaper marked <c>failed</c> with <c>HOST_LOST</c>.</summary>
public sealed record LostExecution(Guid Id, string JobId, Guid ExecutionId, int Attempt);

/// <summary>A job's attempts in brief: the status of its latest finished attempt (null while none finished) and when its latest attempt started.</summary>
public sealed record JobAttemptsSummary(string JobId, string? LatestFinishedStatus, DateTimeOffset LatestStartedAt);

/// <summary>
/// <c>scheduled_job_executions</c>, one row per attempt, and every statement on it. Attempts are written through the
/// SQL helpers <c>log_job_start</c> and <c>log_job_complete</c> so that every writer shares their rules (a row is
/// completed once, only while running). Manual cancel requests across hosts are kept on the attempt rows
/// (<c>cancel_requested_at</c>): any host stamps the running execution of a job, the host running it polls its
/// execution and cancels it (<see cref="JobRunner"/>).
/// </summary>
public sealed class JobExecutionLog(NpgsqlDataSource dataSource, HostIdentity host)
{
    public async Task<Guid> StartAsync(JobContext context, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var start = new NpgsqlCommand("select log_job_start($1, $2, $3, $4)", connection);
        start.Parameters.Add(new() { Value = context.JobId });
        start.Parameters.Add(new() { Value = context.ExecutionId });
        start.Parameters.Add(new() { Value = context.Attempt });
        start.Parameters.Add(new() { Value = context.Trigger.ToWire() });
        var id = (Guid)(await start.ExecuteScalarAsync(cancellationToken))!;

        // log_job_start keeps the signature of docs/jobs.md; the host that runs the attempt is recorded beside it.
        await using var stamp = new NpgsqlCommand("update scheduled_job_executions set host = $2 where id = $1", connection);
        stamp.Parameters.Add(new() { Value = id });
        stamp.Parameters.Add(new() { Value = host.Name });
        await stamp.ExecuteNonQueryAsync(cancellationToken);
        return id;
    }

    /// <summary>Completes an attempt whatever happened to the caller's token: the outcome must be recorded.</summary>
    public async Task<bool> CompleteAsync(
        Guid id, JobStatus status, string? error, TimeSpan duration, object? data, IReadOnlyDictionary<string, double>? metrics)
    {
        await using var command = dataSource.CreateCommand("select log_job_complete($1, $2, $3, $4, $5, $6)");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = status.ToWire() });
        command.Parameters.Add(new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (long)duration.TotalMilliseconds });
        command.Parameters.Add(Json(data));
        command.Parameters.Add(Json(metrics));
        return (bool)(await command.ExecuteScalarAsync(CancellationToken.None))!;
    }

    /// <summary>
    /// Stamps the latest attempt of the job while an execution of it runs on some host (its overlap lock is held);
    /// returns that execution's id, or null when the job is not running anywhere.
    /// </summary>
    public async Task<Guid?> RequestCancelAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            update scheduled_job_executions set cancel_requested_at = coalesce(cancel_requested_at, now())
            where id = (select id from scheduled_job_executions where job_id = $1 order by started_at desc, attempt desc limit 1)
              and {JobOverlapGuard.HeldAnywhereSql("$1")}
            returning execution_id
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = jobId });
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    /// <summary>Whether a cancel was requested for any attempt of the execution.</summary>
    public async Task<bool> IsCancelRequestedAsync(Guid executionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select exists (select 1 from scheduled_job_executions where execution_id = $1 and cancel_requested_at is not null)");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = executionId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The most recent attempts, newest first, optionally of one job and in one status; one column → value map per attempt.</summary>
    public async Task<List<Dictionary<string, object?>>> ListRecentAsync(string? jobId, string? status, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select id, job_id, execution_id, attempt, trigger, status, started_at, completed_at, duration_ms, error, result, metrics, host,
                   cancel_requested_at
            from scheduled_job_executions
            where ($1::text is null or job_id = $1) and ($2::text is null or status = $2)
            order by started_at desc, id desc
            limit $3
            """);
        command.Parameters.Add(new() { Value = (object?)jobId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        return await ColumnMaps.ReadAsync(command, cancellationToken);
    }

    /// <summary>The attempts of each of the jobs that has any, in job id order.</summary>
    public async Task<List<JobAttemptsSummary>> SummarizeAsync(IEnumerable<string> jobIds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select job_id,
                (array_agg(status order by started_at desc, attempt desc) filter (where status <> 'running'))[1],
                max(started_at)
            from scheduled_job_executions
            where job_id = any($1)
            group by job_id
            order by job_id
            """);
        command.Parameters.Add(new() { Value = jobIds.ToArray() });
        var summaries = new List<JobAttemptsSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            summaries.Add(new JobAttemptsSummary(
                reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero)));
        }

        return summaries;
    }

    /// <summary>
    /// Marks <c>failed</c> with <c>HOST_LOST</c> every attempt still running past its job's timeout plus
    /// <paramref name="grace"/> at <paramref name="now"/> (its runner would have recorded a timeout by then, so its host
    /// is gone); returns the attempts it marked. A job not in <paramref name="jobs"/> (no longer registered) gets the
    /// longest budget of any: better late than a false <c>HOST_LOST</c>.
    /// </summary>
    public async Task<List<LostExecution>> MarkHostLostAsync(
        IReadOnlyList<RegisteredJob> jobs, TimeSpan grace, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            update scheduled_job_executions e
            set status = 'failed', completed_at = greatest($3, e.started_at),
                duration_ms = floor(extract(epoch from greatest($3, e.started_at) - e.started_at) * 1000)::bigint,
                error = 'HOST_LOST: still running past its timeout plus REAPER_GRACE_SECONDS; the host that ran it is gone'
            where e.status = 'running'
              and e.started_at + make_interval(secs => coalesce(
                    (select b.timeout_seconds from unnest($1::text[], $2::float8[]) as b(job_id, timeout_seconds) where b.job_id = e.job_id),
                    $4) + $5) < $3
            returning e.id, e.job_id, e.execution_id, e.attempt
            """);
        command.Parameters.Add(new() { Value = jobs.Select(job => job.Id).ToArray() });
        command.Parameters.Add(new() { Value = jobs.Select(job => job.Definition.EffectiveTimeout.TotalSeconds).ToArray() });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = jobs.Select(job => job.Definition.EffectiveTimeout).Append(JobDefinition.DefaultTimeout).Max().TotalSeconds });
        command.Parameters.Add(new() { Value = grace.TotalSeconds });
        var lost = new List<LostExecution>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lost.Add(new LostExecution(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetInt32(3)));
        }

        return lost;
    }

    /// <summary>Deletes the finished attempts (any status but <c>running</c>) started before <paramref name="startedBefore"/>; returns how many.</summary>
    public async Task<int> DeleteFinishedStartedBeforeAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("delete from scheduled_job_executions where status <> 'running' and started_at < $1");
        command.Parameters.Add(new() { Value = startedBefore });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>How many attempts started at or after <paramref name="since"/>, by status (statuses without any are absent).</summary>
    public async Task<Dictionary<string, long>> CountByStatusSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select status, count(*) from scheduled_job_executions where started_at >= $1 group by status");
        command.Parameters.Add(new() { Value = since });
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    private static NpgsqlParameter Json(object? value) => new()
    {
        Value = value is null ? DBNull.Value : JsonSerializer.Serialize(value, value.GetType(), WeeklyJson.Options),
        NpgsqlDbType = NpgsqlDbType.Jsonb,
    };
}
