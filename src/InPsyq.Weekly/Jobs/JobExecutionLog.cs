using System.Text.Json;
using InPsyq.Weekly.Hosting;
using InPsyq.Weekly.Runs;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Jobs;

/// <summary>
/// <c>scheduled_job_executions</c>, one row per attempt, written through the SQL helpers <c>log_job_start</c> and
/// <c>log_job_complete</c> so that every writer shares their rules (a row is completed once, only while running).
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

    private static NpgsqlParameter Json(object? value) => new()
    {
        Value = value is null ? DBNull.Value : JsonSerializer.Serialize(value, value.GetType(), WeeklyJson.Options),
        NpgsqlDbType = NpgsqlDbType.Jsonb,
    };
}
