using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Storage;

/// <summary>
/// Raised when a write finds that its run no longer holds the lock of the org and week, or that its work item is no
/// longer held by this delivery's claim: either way, another writer owns the output now.
/// </summary>
public sealed class LockLostException(string message) : Exception(message);

/// <summary>A delivery of a work item: the item and the claim its worker took when it started it.</summary>
public sealed record WorkClaim(Guid ItemId, Guid Claim);

/// <summary>
/// Where one run writes one org's output for one week, and, for a work item, under which claim: the stages write
/// through it, so every unit asserts the org fence (and the claim) in the batch that writes it.
/// </summary>
public sealed class WriteFence(LockFences fences, IsoWeek week, Guid orgId, Guid runId, WorkClaim? claim = null)
{
    /// <summary>Writes one unit of output after the fence (and claim) checks, as one batch: all of it or nothing.</summary>
    public Task WriteAsync(IReadOnlyList<NpgsqlBatchCommand> commands, CancellationToken cancellationToken) =>
        fences.WriteAsync(week, orgId, runId, claim, commands, cancellationToken);

    /// <summary>Verifies the fence (and claim) before a write outside Postgres (a blob); throws <see cref="LockLostException"/> if overtaken.</summary>
    public Task EnsureHeldAsync(CancellationToken cancellationToken) => WriteAsync([], cancellationToken);
}

/// <summary>
/// Fencing for pipeline writes. Taking an org lock stamps <c>weekly_lock_fences</c> with the run id; every write
/// first calls <c>assert_lock_fence</c>, which reads that row <c>FOR SHARE</c>, so a run that lost its lock (and was
/// overtaken by a new holder) cannot write, even if it has not noticed the loss yet.
/// </summary>
public sealed class LockFences(NpgsqlDataSource dataSource)
{
    /// <summary>The SQLSTATE <c>assert_lock_fence</c> raises when the fence names another run.</summary>
    internal const string LockLostSqlState = "IQ409";

    /// <summary>The SQLSTATE <c>assert_work_claim</c> raises when the item is final or held by another delivery.</summary>
    internal const string ClaimLostSqlState = "IQ410";

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
    /// Takes every fence <paramref name="runId"/> holds away from it (a tombstone id no run has), so that no late write
    /// of a run declared stalled can land, whoever still works for it.
    /// </summary>
    public async Task TombstoneAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("update weekly_lock_fences set run_id = $2, fenced_at = now() where run_id = $1");
        command.Parameters.Add(new() { Value = runId });
        command.Parameters.Add(new() { Value = Guid.NewGuid() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The fence of <paramref name="runId"/>'s writes for one org and week, under <paramref name="claim"/> for a work item.</summary>
    public WriteFence For(IsoWeek week, Guid orgId, Guid runId, WorkClaim? claim = null) => new(this, week, orgId, runId, claim);

    /// <summary>
    /// Writes one unit of output: the fence check (and the claim check of a work item) and then <paramref name="commands"/>,
    /// in order, as one batch, i.e. one round trip and one implicit transaction. A lost fence or claim
    /// (<see cref="LockLostException"/>), a failing command or a cancellation before the batch is sent writes nothing.
    /// </summary>
    internal async Task WriteAsync(
        IsoWeek week, Guid orgId, Guid runId, WorkClaim? claim, IReadOnlyList<NpgsqlBatchCommand> commands, CancellationToken cancellationToken)
    {
        // A team that timed out or lost its lock publishes nothing.
        cancellationToken.ThrowIfCancellationRequested();
        await using var batch = dataSource.CreateBatch();
        var assertion = new NpgsqlBatchCommand("select assert_lock_fence($1, $2, $3)");
        assertion.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = week.Monday });
        assertion.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orgId });
        assertion.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        batch.BatchCommands.Add(assertion);
        if (claim is not null)
        {
            var claimAssertion = new NpgsqlBatchCommand("select assert_work_claim($1, $2)");
            claimAssertion.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claim.ItemId });
            claimAssertion.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claim.Claim });
            batch.BatchCommands.Add(claimAssertion);
        }

        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }

        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState is LockLostSqlState or ClaimLostSqlState)
        {
            throw new LockLostException(exception.MessageText);
        }
    }
}
