using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Storage;

/// <summary>Raised when a write finds that its run no longer holds the lock of the org and week.</summary>
public sealed class LockLostException(string message) : Exception(message);

/// <summary>
/// Fencing for pipeline writes. Taking an org lock stamps <c>weekly_lock_fences</c> with the run id; every write
/// first calls <c>assert_lock_fence</c>, which reads that row <c>FOR SHARE</c>, so a run that lost its lock (and was
/// overtaken by a new holder) cannot write, even if it has not noticed the loss yet.
/// </summary>
public sealed class LockFences(NpgsqlDataSource dataSource)
{
    /// <summary>The SQLSTATE <c>assert_lock_fence</c> raises when the fence names another run.</summary>
    internal const string LockLostSqlState = "IQ409";

    public async Task TakeAsync(IsoWeek week, Guid orgId, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            insert into weekly_lock_fences (week_start, org_id, run_id, fenced_at)
            values ($1, $2, $3, now())
            on conflict (week_start, org_id) do update set run_id = excluded.run_id, fenced_at = excluded.fenced_at
            """);
        command.Parameters.Add(new() { Value = week.Monday });
        command.Parameters.Add(new() { Value = orgId });
        command.Parameters.Add(new() { Value = runId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Writes one unit of output: the fence check and then <paramref name="commands"/>, in order, as one batch, i.e. one
    /// round trip and one implicit transaction. A lost fence (<see cref="LockLostException"/>), a failing command or a
    /// cancellation before the batch is sent writes nothing.
    /// </summary>
    public async Task WriteAsync(IsoWeek week, Guid orgId, Guid runId, IReadOnlyList<NpgsqlBatchCommand> commands, CancellationToken cancellationToken)
    {
        // A team that timed out or lost its lock publishes nothing.
        cancellationToken.ThrowIfCancellationRequested();
        await using var batch = dataSource.CreateBatch();
        var assertion = new NpgsqlBatchCommand("select assert_lock_fence($1, $2, $3)");
        assertion.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = week.Monday });
        assertion.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orgId });
        assertion.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        batch.BatchCommands.Add(assertion);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }

        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState == LockLostSqlState)
        {
            throw new LockLostException(exception.MessageText);
        }
    }

    /// <summary>Verifies the fence before a write outside Postgres (a blob); throws <see cref="LockLostException"/> if overtaken.</summary>
    public Task EnsureHeldAsync(IsoWeek week, Guid orgId, Guid runId, CancellationToken cancellationToken) =>
        WriteAsync(week, orgId, runId, [], cancellationToken);
}
