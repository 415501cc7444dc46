using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Storage;

/// <summary>Raised when a write finds that its run no longer holds the lock of the org and week.</summary>
public sealed class LockLostException(string message) : Exception(message);

/// <summary>
/// Fencing for pipeline writes. Taking an org lock stamps <c>weekly_lock_fences</c> with the run id; every write
/// transaction first reads its fence row <c>FOR SHARE</c>, so a run that lost its lock (and was overtaken by a new
/// holder) cannot write, even if it has not noticed the loss yet.
/// </summary>
public sealed class LockFences(NpgsqlDataSource dataSource)
{
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
    /// Opens a transaction that holds a share lock on the fence row of (week, org) and has verified that it still
    /// names <paramref name="runId"/>. Commit it to publish the unit's writes, dispose it to drop them.
    /// </summary>
    public async Task<FencedTransaction> BeginAsync(IsoWeek week, Guid orgId, Guid runId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await EnsureFenceAsync(connection, transaction, week, orgId, runId, forShare: true, cancellationToken);
            return new FencedTransaction(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Verifies the fence before a write outside Postgres (a blob); throws <see cref="LockLostException"/> if overtaken.</summary>
    public async Task EnsureHeldAsync(IsoWeek week, Guid orgId, Guid runId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await EnsureFenceAsync(connection, null, week, orgId, runId, forShare: false, cancellationToken);
    }

    private static async Task EnsureFenceAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IsoWeek week, Guid orgId, Guid runId, bool forShare, CancellationToken cancellationToken)
    {
        var sql = "select run_id from weekly_lock_fences where week_start = $1 and org_id = $2" + (forShare ? " for share" : string.Empty);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new() { Value = week.Monday });
        command.Parameters.Add(new() { Value = orgId });
        var holder = await command.ExecuteScalarAsync(cancellationToken);
        if (holder is not Guid fencedRun || fencedRun != runId)
        {
            throw new LockLostException($"Run {runId} no longer holds the lock of org {orgId} for week {week}.");
        }
    }
}

/// <summary>A transaction whose fence was verified; the unit of output of one team and stage.</summary>
public sealed class FencedTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
{
    public NpgsqlConnection Connection { get; } = connection;

    public NpgsqlTransaction Transaction { get; } = transaction;

    public NpgsqlCommand CreateCommand(string sql) => new(sql, Connection, Transaction);

    /// <summary>Commits unless cancelled: a team that timed out or lost its lock publishes nothing.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Transaction.CommitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
