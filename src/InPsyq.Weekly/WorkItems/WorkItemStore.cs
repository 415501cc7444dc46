using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Storage;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.WorkItems;

/// <summary>One work item: a stage of up to <c>WEEKLY_WORK_ITEM_TEAMS</c> teams of one org, in one run.</summary>
public sealed record WorkItem(Guid ItemId, Guid RunId, Guid OrgId, PipelineStage Stage, PipelineStage LastStage, IReadOnlyList<Guid> TeamIds, int Attempts);

/// <summary>The teams of one org a run plans, in team_id order.</summary>
public sealed record PlannedOrg(Guid OrgId, IReadOnlyList<Guid> TeamIds);

/// <summary>
/// What finishing an item (or planning a run) led to: the items it created (already in the outbox), the placeholders
/// of deferred orgs to retry now (every other item is final), and whether the run is now final.
/// </summary>
public sealed record ItemCompletion(IReadOnlyList<Guid> CreatedItems, bool RunFinal)
{
    public IReadOnlyList<WorkItem> Deferred { get; init; } = [];

    /// <summary>The items are a run's first (its planning), not a continuation of one under way.</summary>
    public bool StartsRun { get; init; }
}

/// <summary>What a delivery of an item's message found.</summary>
public abstract record Delivery
{
    private Delivery()
    {
    }

    /// <summary>The item is this delivery's to work, under <see cref="Claim"/>.</summary>
    public sealed record Claimed(WorkItem Item, WorkClaim Claim) : Delivery;

    /// <summary>The item is final (so is its run, perhaps): the message is a duplicate and does nothing.</summary>
    public sealed record Stale : Delivery;

    /// <summary>The item was delivered more than <c>WEEKLY_WORK_MAX_ATTEMPTS</c> times: it is now final, its teams failed.</summary>
    public sealed record Poisoned(WorkItem Item, ItemCompletion Completion) : Delivery;
}

/// <summary>A team's result of one stage in a run, as its worker recorded it.</summary>
public sealed record WorkResult(
    Guid OrgId, Guid TeamId, PipelineStage Stage, StageStatus Status, string? Reason, string? Code, string? Message,
    long TokensIn, long TokensOut, int LlmCalls, bool Wrote, long DurationMs)
{
    public StageOutcome ToOutcome() => new(Status, Reason, Code, Message) { TokensIn = TokensIn, TokensOut = TokensOut, LlmCalls = LlmCalls, Wrote = Wrote };
}

/// <summary>How far a run is: items and teams in total and final.</summary>
public sealed record WorkProgress(int ItemsTotal, int ItemsFinal, int TeamsTotal, int TeamsFinal);

/// <summary>
/// How far one run of a page of the history is: its progress, how many hosts worked its items, and the LLM calls and
/// tokens of the team results it recorded in the last minute.
/// </summary>
public sealed record RunWorkSummary(WorkProgress Progress, int Hosts, int LlmCallsLastMinute, long LlmTokensLastMinute);

/// <summary>A host that worked items of a run (its latest delivery of each) and how many.</summary>
public sealed record HostItems(string Host, int Items);

/// <summary>An org's place in a run: the earliest stage it has open items of (else the last it reached), and how many are open.</summary>
public sealed record OrgStage(Guid OrgId, PipelineStage Stage, int ItemsOpen);

/// <summary>
/// A run's items in detail: how many are <c>pending</c>, <c>running</c> and <c>final</c>, the outcomes of the final
/// ones (<c>done</c>, <c>failed</c>, <c>not_started</c>), the hosts that worked them, and each org's stage.
/// </summary>
public sealed record RunWorkDetail(
    IReadOnlyDictionary<string, int> ItemsByStatus, IReadOnlyDictionary<string, int> Outcomes, IReadOnlyList<HostItems> Hosts, IReadOnlyList<OrgStage> Orgs);

/// <summary>
/// Owns every statement on <c>weekly_work_items</c>, <c>weekly_work_results</c> and <c>weekly_work_outbox</c>. An item
/// moves pending → running (a delivery's claim) → final. Every transition that makes an item final takes the run's
/// advisory transaction lock first, so the transitions of one run happen one after another: the one that makes the
/// last stage-1 item of an org final creates the org's stage-2 items (exactly one creator), the one that makes a
/// stage-2 item final creates that item's stage-3 item, and the one that makes the run's last item final says so.
/// Created items go to the outbox in the same transaction; their messages are sent after commit.
/// </summary>
public sealed class WorkItemStore(NpgsqlDataSource dataSource)
{
    public const string PoisonedCode = "WORK_ITEM_POISONED";

    private const string ItemColumns = "item_id, run_id, org_id, stage, last_stage, team_ids, attempts";

    /// <summary>
    /// Creates the items of the mode's first stage for every org (and their outbox rows), and a deferred placeholder
    /// for each of <paramref name="deferredOrgs"/> (held by other runs), in one transaction. With nothing else to work,
    /// the placeholders are to be retried at once; with nothing at all, the run is final.
    /// </summary>
    public async Task<ItemCompletion> PlanAsync(
        Guid runId, PipelineStage firstStage, PipelineStage lastStage, IReadOnlyList<PlannedOrg> orgs, IReadOnlyList<PlannedOrg> deferredOrgs,
        int teamsPerItem, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var created = new List<Guid>();
        foreach (var org in orgs)
        {
            created.AddRange(await CreateItemsAsync(connection, runId, org.OrgId, firstStage, lastStage, org.TeamIds, teamsPerItem, cancellationToken));
        }

        foreach (var org in deferredOrgs.Where(org => org.TeamIds.Count > 0))
        {
            await using var placeholder = new NpgsqlCommand("""
                insert into weekly_work_items (item_id, run_id, org_id, stage, last_stage, team_ids, deferred)
                values ($1, $2, $3, $4, $5, $6, true)
                """, connection);
            placeholder.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.CreateVersion7() });
            placeholder.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            placeholder.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = org.OrgId });
            placeholder.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)firstStage });
            placeholder.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)lastStage });
            placeholder.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. org.TeamIds] });
            await placeholder.ExecuteNonQueryAsync(cancellationToken);
        }

        var completion = await EndOrRetryAsync(connection, runId, created, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return completion with { StartsRun = true };
    }

    /// <summary>
    /// A deferred org was retried: taken (<paramref name="taken"/>: its first-stage items replace the placeholder) or
    /// still held by another run (its teams are <c>locked</c> in every stage). Under the run's lock, like every end of an item.
    /// </summary>
    public async Task<ItemCompletion> ResolveDeferredAsync(WorkItem placeholder, bool taken, int teamsPerItem, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockRunAsync(connection, placeholder.RunId, cancellationToken);
        await using (var finish = new NpgsqlCommand("""
            update weekly_work_items set status = 'final', outcome = $2, reason = $3, finished_at = now()
            where item_id = $1 and status = 'pending'
            """, connection))
        {
            finish.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = placeholder.ItemId });
            finish.Parameters.Add(new NpgsqlParameter<string> { TypedValue = taken ? "done" : "not_started" });
            finish.Parameters.Add(new NpgsqlParameter<string> { TypedValue = taken ? "deferred_org_taken" : "org_locked" });
            await finish.ExecuteNonQueryAsync(cancellationToken);
        }

        var created = new List<Guid>();
        if (taken)
        {
            created.AddRange(await CreateItemsAsync(
                connection, placeholder.RunId, placeholder.OrgId, placeholder.Stage, placeholder.LastStage, placeholder.TeamIds, teamsPerItem, cancellationToken));
        }
        else
        {
            for (var stage = placeholder.Stage; stage <= placeholder.LastStage; stage++)
            {
                await RecordForTeamsAsync(
                    connection, placeholder.RunId, placeholder.OrgId, placeholder.ItemId, placeholder.TeamIds, stage, "locked", "org_locked", code: null, message: null, cancellationToken);
            }
        }

        var completion = await EndOrRetryAsync(connection, placeholder.RunId, created, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return completion;
    }

    /// <summary>
    /// A delivery of <paramref name="itemId"/> starts: a fresh claim and one more attempt. Past
    /// <paramref name="maxAttempts"/> the item becomes final <c>failed</c> instead, its teams <c>WORK_ITEM_POISONED</c>.
    /// </summary>
    public async Task<Delivery> ClaimAsync(Guid itemId, string host, int maxAttempts, int teamsPerItem, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claim = Guid.CreateVersion7();
        await using (var command = new NpgsqlCommand($"""
            update weekly_work_items
            set attempts = attempts + 1, claim = $2, status = 'running', host = $3, started_at = now()
            where item_id = $1 and status <> 'final' and not deferred
            returning {ItemColumns}
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = itemId });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claim });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = host });
            var item = await ReadItemAsync(command, cancellationToken);
            if (item is null)
            {
                return new Delivery.Stale();
            }

            if (item.Attempts <= maxAttempts)
            {
                await transaction.CommitAsync(cancellationToken);
                return new Delivery.Claimed(item, new WorkClaim(itemId, claim));
            }

            await LockRunAsync(connection, item.RunId, cancellationToken);
            await RecordForTeamsAsync(
                connection, item.RunId, item.OrgId, item.ItemId, item.TeamIds, item.Stage, "failed", reason: null, PoisonedCode,
                $"The work item was delivered {item.Attempts} times without finishing; its teams were not processed.", cancellationToken);
            var completion = await FinishAsync(connection, item, claim, "failed", reason: null, notes: [], teamsPerItem, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new Delivery.Poisoned(item, completion!);
        }
    }

    /// <summary>
    /// Records one team's result, if the delivery still holds the item (the claim, not the org fence: the results are
    /// this run's own bookkeeping, and a team that met a lost fence is recorded as such).
    /// </summary>
    public async Task RecordAsync(WorkItem item, WorkClaim claim, Guid teamId, StageOutcome outcome, long durationMs, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var assertion = new NpgsqlBatchCommand("select assert_work_claim($1, $2)");
        assertion.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claim.ItemId });
        assertion.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claim.Claim });
        batch.BatchCommands.Add(assertion);
        batch.BatchCommands.Add(RecordResult(item, teamId, outcome, durationMs));
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == LockFences.ClaimLostSqlState)
        {
            throw new LockLostException(e.MessageText);
        }
    }

    private static NpgsqlBatchCommand RecordResult(WorkItem item, Guid teamId, StageOutcome outcome, long durationMs)
    {
        var command = new NpgsqlBatchCommand("""
            insert into weekly_work_results (run_id, team_id, stage, org_id, status, reason, code, message, tokens_in, tokens_out, wrote, duration_ms, item_id, llm_calls)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            on conflict (run_id, team_id, stage) do update set
                status = excluded.status, reason = excluded.reason, code = excluded.code, message = excluded.message,
                tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out, llm_calls = excluded.llm_calls, wrote = excluded.wrote,
                duration_ms = excluded.duration_ms, item_id = excluded.item_id, recorded_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = item.RunId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = teamId });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)item.Stage });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = item.OrgId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = outcome.Status.ToWire() });
        command.Parameters.Add(Text(outcome.Reason));
        command.Parameters.Add(Text(outcome.ErrorCode));
        command.Parameters.Add(Text(outcome.ErrorMessage));
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = outcome.TokensIn });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = outcome.TokensOut });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = outcome.Wrote });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = durationMs });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = item.ItemId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = outcome.LlmCalls });
        return command;
    }

    /// <summary>
    /// The delivery under <paramref name="claim"/> finished its item: the item becomes final <c>done</c> and its
    /// successors are created. Teams its time budget did not reach (<paramref name="unreached"/>) leave it for a new
    /// item of the same stage, created in the same transaction. Null when the claim no longer holds the item (a later
    /// delivery took it, or it is final).
    /// </summary>
    public async Task<ItemCompletion?> CompleteAsync(
        WorkItem item, WorkClaim claim, IReadOnlyCollection<string> notes, int teamsPerItem, IReadOnlyList<Guid> unreached,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockRunAsync(connection, item.RunId, cancellationToken);
        IReadOnlyList<Guid> continuation = [];
        if (unreached.Count > 0)
        {
            item = item with { TeamIds = [.. item.TeamIds.Except(unreached)] };
            await using var shrink = new NpgsqlCommand("update weekly_work_items set team_ids = $3 where item_id = $1 and claim = $2 and status = 'running'", connection);
            shrink.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = item.ItemId });
            shrink.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claim.Claim });
            shrink.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. item.TeamIds] });
            await shrink.ExecuteNonQueryAsync(cancellationToken);
            continuation = await CreateItemsAsync(connection, item.RunId, item.OrgId, item.Stage, item.LastStage, unreached, teamsPerItem, cancellationToken);
        }

        var completion = await FinishAsync(connection, item, claim.Claim, "done", reason: null, notes, teamsPerItem, cancellationToken);
        if (completion is null)
        {
            return null;
        }

        await transaction.CommitAsync(cancellationToken);
        return completion with { CreatedItems = [.. continuation, .. completion.CreatedItems] };
    }

    /// <summary>
    /// A stalled run's open items become final <c>not_started</c> (reason <c>stalled</c>), their teams' results too
    /// where none was recorded; a delivery still working one loses its claim. Returns how many items it ended.
    /// </summary>
    public async Task<int> EndStalledAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockRunAsync(connection, runId, cancellationToken);
        await using var stall = new NpgsqlCommand($"""
            update weekly_work_items set status = 'final', outcome = 'not_started', reason = 'stalled', deferred = false, finished_at = now()
            where run_id = $1 and status <> 'final'
            returning {ItemColumns}
            """, connection);
        stall.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        var ended = await ReadItemsAsync(stall, cancellationToken);
        foreach (var item in ended)
        {
            await RecordForTeamsAsync(connection, runId, item.OrgId, item.ItemId, item.TeamIds, item.Stage, "not_started", "stalled", code: null, message: null, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return ended.Count;
    }

    /// <summary>Every team result of a run, in (org, team, stage) order.</summary>
    public async Task<IReadOnlyList<WorkResult>> ResultsAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select org_id, team_id, stage, status, reason, code, message, tokens_in, tokens_out, llm_calls, wrote, duration_ms
            from weekly_work_results where run_id = $1
            order by org_id, team_id, stage
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var results = new List<WorkResult>();
        while (await reader.ReadAsync(cancellationToken))
        {
            results.Add(new WorkResult(
                reader.GetGuid(0), reader.GetGuid(1), (PipelineStage)reader.GetInt16(2), StageStatusOf(reader.GetString(3)),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetInt32(9), reader.GetBoolean(10), reader.GetInt64(11)));
        }

        return results;
    }

    /// <summary>The teams of <paramref name="teamIds"/> that already have a result of <paramref name="stage"/> in the run (an earlier delivery's).</summary>
    public async Task<HashSet<Guid>> RecordedTeamsAsync(Guid runId, PipelineStage stage, IReadOnlyList<Guid> teamIds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select team_id from weekly_work_results where run_id = $1 and stage = $2 and team_id = any($3)");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)stage });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. teamIds] });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var recorded = new HashSet<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            recorded.Add(reader.GetGuid(0));
        }

        return recorded;
    }

    /// <summary>The notes the run's items left (e.g. <c>offline_interpreter</c>), each once.</summary>
    public async Task<IReadOnlyList<string>> NotesAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select distinct note from weekly_work_items, unnest(notes) note where run_id = $1 order by note");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var notes = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            notes.Add(reader.GetString(0));
        }

        return notes;
    }

    public async Task<WorkProgress> ProgressAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select
                (select count(*) from weekly_work_items where run_id = $1)::int,
                (select count(*) from weekly_work_items where run_id = $1 and status = 'final')::int,
                (select count(distinct team) from weekly_work_items i, unnest(i.team_ids) team
                 where i.run_id = $1 and i.stage = (select min(stage) from weekly_work_items where run_id = $1))::int,
                (select count(distinct r.team_id) from weekly_work_results r
                 where r.run_id = $1
                   and (r.status not in ('succeeded', 'skipped')
                        or r.stage = (select max(last_stage) from weekly_work_items where run_id = $1)))::int
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new WorkProgress(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
    }

    /// <summary>The progress and host count of each of <paramref name="runIds"/> that has items (one round trip for a page of runs).</summary>
    public async Task<Dictionary<Guid, RunWorkSummary>> SummarizeRunsAsync(IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            with items as (
                select run_id, stage, last_stage, status, host, team_ids from weekly_work_items where run_id = any($1)),
            per_run as (
                select run_id, count(*)::int as items_total, count(*) filter (where status = 'final')::int as items_final,
                       count(distinct host)::int as hosts, min(stage) as first_stage, max(last_stage) as last_stage
                from items group by run_id),
            teams as (
                select i.run_id, count(distinct team)::int as teams_total
                from items i join per_run p on p.run_id = i.run_id and i.stage = p.first_stage
                cross join lateral unnest(i.team_ids) team
                group by i.run_id),
            final_teams as (
                select r.run_id, count(distinct r.team_id)::int as teams_final
                from weekly_work_results r join per_run p on p.run_id = r.run_id
                where r.status not in ('succeeded', 'skipped') or r.stage = p.last_stage
                group by r.run_id),
            llm as (
                select run_id, sum(llm_calls)::int as calls, sum(tokens_in + tokens_out)::bigint as tokens
                from weekly_work_results
                where run_id = any($1) and llm_calls > 0 and recorded_at > now() - interval '1 minute'
                group by run_id)
            select p.run_id, p.items_total, p.items_final, coalesce(t.teams_total, 0), coalesce(f.teams_final, 0), p.hosts,
                   coalesce(l.calls, 0), coalesce(l.tokens, 0)
            from per_run p left join teams t using (run_id) left join final_teams f using (run_id) left join llm l using (run_id)
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. runIds] });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var summaries = new Dictionary<Guid, RunWorkSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            summaries[reader.GetGuid(0)] = new RunWorkSummary(
                new WorkProgress(reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4)), reader.GetInt32(5),
                reader.GetInt32(6), reader.GetInt64(7));
        }

        return summaries;
    }

    /// <summary>A run's items by status and outcome, the hosts that worked them, and each org's stage, in one round trip.</summary>
    public async Task<RunWorkDetail> DetailAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        foreach (var sql in new[]
                 {
                     "select status, outcome, count(*)::int from weekly_work_items where run_id = $1 group by status, outcome",
                     "select host, count(*)::int from weekly_work_items where run_id = $1 and host is not null group by host order by host",
                     """
                     select org_id, coalesce(min(stage) filter (where status <> 'final'), max(stage)), count(*) filter (where status <> 'final')::int
                     from weekly_work_items where run_id = $1 group by org_id order by org_id
                     """,
                 })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var byStatus = new Dictionary<string, int>(StringComparer.Ordinal) { ["pending"] = 0, ["running"] = 0, ["final"] = 0 };
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal) { ["done"] = 0, ["failed"] = 0, ["not_started"] = 0 };
        while (await reader.ReadAsync(cancellationToken))
        {
            byStatus[reader.GetString(0)] += reader.GetInt32(2);
            if (!reader.IsDBNull(1))
            {
                outcomes[reader.GetString(1)] += reader.GetInt32(2);
            }
        }

        await reader.NextResultAsync(cancellationToken);
        var hosts = new List<HostItems>();
        while (await reader.ReadAsync(cancellationToken))
        {
            hosts.Add(new HostItems(reader.GetString(0), reader.GetInt32(1)));
        }

        await reader.NextResultAsync(cancellationToken);
        var orgs = new List<OrgStage>();
        while (await reader.ReadAsync(cancellationToken))
        {
            orgs.Add(new OrgStage(reader.GetGuid(0), (PipelineStage)reader.GetInt16(1), reader.GetInt32(2)));
        }

        return new RunWorkDetail(byStatus, outcomes, hosts, orgs);
    }

    /// <summary>When a delivery last started any work item (of any run); null when none ever did.</summary>
    public async Task<DateTimeOffset?> LastStartedAtAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select max(started_at) from weekly_work_items");
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime startedAt ? new DateTimeOffset(startedAt, TimeSpan.Zero) : null;
    }

    /// <summary>Outbox rows not yet confirmed sent and older than <paramref name="olderThan"/>, whose items are not final.</summary>
    public async Task<IReadOnlyList<(Guid RunId, Guid ItemId)>> UnsentAsync(TimeSpan olderThan, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select o.run_id, o.item_id
            from weekly_work_outbox o join weekly_work_items i on i.item_id = o.item_id
            where o.sent_at is null and o.created_at <= now() - $1 and i.status <> 'final'
            order by o.outbox_id
            limit $2
            """);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = olderThan });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<(Guid, Guid)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetGuid(0), reader.GetGuid(1)));
        }

        return rows;
    }

    /// <summary>Confirms that the messages of these items were sent; outbox rows of final items are dropped.</summary>
    public async Task MarkSentAsync(IReadOnlyList<Guid> itemIds, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var sent = new NpgsqlBatchCommand("update weekly_work_outbox set sent_at = now() where item_id = any($1) and sent_at is null");
        sent.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. itemIds] });
        batch.BatchCommands.Add(sent);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            delete from weekly_work_outbox o using weekly_work_items i
            where i.item_id = o.item_id and i.status = 'final'
            """));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Transitions of one run's items take turns: the barrier and the run's end are each decided once.</summary>
    private static async Task LockRunAsync(NpgsqlConnection connection, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select pg_advisory_xact_lock(hashtextextended('weekly_work:' || $1::text, 0))", connection);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Makes the item final (if <paramref name="claim"/> still holds it) and creates what follows it, under the run's lock.</summary>
    private static async Task<ItemCompletion?> FinishAsync(
        NpgsqlConnection connection, WorkItem item, Guid claim, string outcome, string? reason, IReadOnlyCollection<string> notes, int teamsPerItem,
        CancellationToken cancellationToken)
    {
        await using (var finish = new NpgsqlCommand("""
            update weekly_work_items set status = 'final', outcome = $3, reason = $4, notes = $5, finished_at = now()
            where item_id = $1 and claim = $2 and status = 'running'
            """, connection))
        {
            finish.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = item.ItemId });
            finish.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claim });
            finish.Parameters.Add(new NpgsqlParameter<string> { TypedValue = outcome });
            finish.Parameters.Add(Text(reason));
            finish.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notes.Order(StringComparer.Ordinal)] });
            if (await finish.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return null;
            }
        }

        IReadOnlyList<Guid> created = item.Stage == item.LastStage ? [] : await CreateSuccessorsAsync(connection, item, teamsPerItem, cancellationToken);
        return await EndOrRetryAsync(connection, item.RunId, created, cancellationToken);
    }

    /// <summary>
    /// After a transition: the run is final when no item is open; when only deferred placeholders are, they are handed
    /// out (no longer deferred) to be retried now, by the caller alone.
    /// </summary>
    private static async Task<ItemCompletion> EndOrRetryAsync(NpgsqlConnection connection, Guid runId, IReadOnlyList<Guid> created, CancellationToken cancellationToken)
    {
        await using var retry = new NpgsqlCommand($"""
            update weekly_work_items set deferred = false
            where run_id = $1 and deferred
              and not exists (select 1 from weekly_work_items where run_id = $1 and status <> 'final' and not deferred)
            returning {ItemColumns}
            """, connection);
        retry.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        var deferred = await ReadItemsAsync(retry, cancellationToken);
        if (deferred.Count > 0)
        {
            return new ItemCompletion(created, RunFinal: false) { Deferred = deferred };
        }

        await using var open = new NpgsqlCommand("select not exists (select 1 from weekly_work_items where run_id = $1 and status <> 'final')", connection);
        open.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        return new ItemCompletion(created, (bool)(await open.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <summary>
    /// Stage 1 → 2 waits for the org (stage 2 reads every team's stage-1 output): the item that makes the org's last
    /// stage-1 item final creates stage 2 for the org's teams that are done. Stage 2 → 3 has no barrier: the item's own
    /// done teams get their stage-3 item. Teams that are not done are recorded <c>not_started</c> for the later stages.
    /// </summary>
    private static async Task<IReadOnlyList<Guid>> CreateSuccessorsAsync(NpgsqlConnection connection, WorkItem item, int teamsPerItem, CancellationToken cancellationToken)
    {
        IReadOnlyList<Guid> candidates;
        if (item.Stage == PipelineStage.Rollup)
        {
            await using var orgStage = new NpgsqlCommand("""
                select bool_and(status = 'final'), array_agg(team order by team)
                from weekly_work_items i, unnest(i.team_ids) team
                where i.run_id = $1 and i.org_id = $2 and i.stage = $3
                """, connection);
            orgStage.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = item.RunId });
            orgStage.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = item.OrgId });
            orgStage.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)item.Stage });
            await using var reader = await orgStage.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (!reader.GetBoolean(0))
            {
                return [];
            }

            candidates = reader.GetFieldValue<Guid[]>(1);
        }
        else
        {
            candidates = item.TeamIds;
        }

        await using var doneCommand = new NpgsqlCommand("""
            select team_id from weekly_work_results
            where run_id = $1 and stage = $2 and team_id = any($3) and status in ('succeeded', 'skipped')
            order by team_id
            """, connection);
        doneCommand.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = item.RunId });
        doneCommand.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)item.Stage });
        doneCommand.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. candidates] });
        var done = new List<Guid>();
        await using (var reader = await doneCommand.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                done.Add(reader.GetGuid(0));
            }
        }

        var notDone = candidates.Except(done).ToList();
        for (var stage = item.Stage + 1; stage <= item.LastStage; stage++)
        {
            await RecordForTeamsAsync(connection, item.RunId, item.OrgId, item.ItemId, notDone, stage, "not_started", StageReasons.UpstreamFailed, code: null, message: null, cancellationToken);
        }

        return await CreateItemsAsync(connection, item.RunId, item.OrgId, item.Stage + 1, item.LastStage, done, teamsPerItem, cancellationToken);
    }

    private static async Task<IReadOnlyList<Guid>> CreateItemsAsync(
        NpgsqlConnection connection, Guid runId, Guid orgId, PipelineStage stage, PipelineStage lastStage, IReadOnlyList<Guid> teamIds,
        int teamsPerItem, CancellationToken cancellationToken)
    {
        if (teamIds.Count == 0)
        {
            return [];
        }

        await using var batch = new NpgsqlBatch(connection);
        var created = new List<Guid>();
        foreach (var chunk in teamIds.Chunk(teamsPerItem))
        {
            var itemId = Guid.CreateVersion7();
            created.Add(itemId);
            var insert = new NpgsqlBatchCommand("""
                with item as (
                    insert into weekly_work_items (item_id, run_id, org_id, stage, last_stage, team_ids)
                    values ($1, $2, $3, $4, $5, $6)
                    returning run_id, item_id)
                insert into weekly_work_outbox (run_id, item_id) select run_id, item_id from item
                """);
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = itemId });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orgId });
            insert.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)stage });
            insert.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)lastStage });
            insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = chunk });
            batch.BatchCommands.Add(insert);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        return created;
    }

    /// <summary>Records one result for each of <paramref name="teamIds"/> at <paramref name="stage"/>, keeping results already recorded.</summary>
    private static async Task RecordForTeamsAsync(
        NpgsqlConnection connection, Guid runId, Guid orgId, Guid? itemId, IReadOnlyList<Guid> teamIds, PipelineStage stage, string status,
        string? reason, string? code, string? message, CancellationToken cancellationToken)
    {
        if (teamIds.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand("""
            insert into weekly_work_results (run_id, team_id, stage, org_id, status, reason, code, message, item_id)
            select $1, team, $3, $4, $5, $6, $7, $8, $9 from unnest($2::uuid[]) team
            on conflict (run_id, team_id, stage) do nothing
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. teamIds] });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)stage });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orgId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = status });
        command.Parameters.Add(Text(reason));
        command.Parameters.Add(Text(code));
        command.Parameters.Add(Text(message));
        command.Parameters.Add(new() { Value = (object?)itemId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<WorkItem?> ReadItemAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        (await ReadItemsAsync(command, cancellationToken)).SingleOrDefault();

    private static async Task<List<WorkItem>> ReadItemsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<WorkItem>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new WorkItem(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), (PipelineStage)reader.GetInt16(3), (PipelineStage)reader.GetInt16(4),
                reader.GetFieldValue<Guid[]>(5), reader.GetInt32(6)));
        }

        return items;
    }

    private static StageStatus StageStatusOf(string wire) =>
        Enum.GetValues<StageStatus>().Single(status => status.ToWire() == wire);

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
