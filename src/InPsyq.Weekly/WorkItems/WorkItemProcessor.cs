using System.Collections.Concurrent;
using System.Diagnostics;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.WorkItems;

/// <summary>
/// Works one delivery of a work item, on whichever instance received its message: takes a claim, runs the item's
/// stage for those of its teams without a result yet (a redelivery keeps what an earlier delivery recorded), records
/// each team's result in a batch fenced by the org lock and the claim, and completes the item, which creates what
/// follows it (their messages are sent after the commit). The delivery that completes the run's last item finishes
/// the run. While it works it says the run is
/// alive (<see cref="RunHeartbeat"/>). Shutdown leaves the item running: its message comes back and a new claim takes over.
/// </summary>
public sealed partial class WorkItemProcessor(
    WorkItemStore items,
    WeeklyRunStore runs,
    TenantDirectory tenants,
    LockFences fences,
    TeamStageRunner stageRunner,
    WeeklyLockManager locks,
    WorkOutbox outbox,
    WorkQueueClient queue,
    WorkRunFinisher finisher,
    RunHeartbeat heartbeat,
    IOptions<WorkOptions> options,
    IOptions<LockOptions> lockOptions,
    HostIdentity host,
    TimeProvider time,
    ILogger<WorkItemProcessor> logger)
{
    /// <summary>
    /// Works one delivery from a host that manages the message itself (the Functions queue trigger): a text that names
    /// no item goes to the poison queue and the delivery ends.
    /// </summary>
    public async Task<ItemCompletion?> ProcessMessageAsync(string text, CancellationToken cancellationToken)
    {
        if (WorkMessage.FromJson(text) is { } message)
        {
            return await ProcessAsync(message, cancellationToken);
        }

        LogUnreadable();
        await queue.Poison.SendMessageAsync(text, cancellationToken);
        return null;
    }

    /// <summary>
    /// Works the delivery of the item <paramref name="message"/> names, in the trace of the run that created it (its
    /// <see cref="WorkMessage.Trace"/>); returns what completing the item led to, or null when it did not complete here.
    /// </summary>
    public async Task<ItemCompletion?> ProcessAsync(WorkMessage message, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        switch (await items.ClaimAsync(message.ItemId, host.Name, settings.MaxAttempts, settings.ItemTeams, cancellationToken))
        {
            case Delivery.Claimed claimed:
                return await WorkAsync(claimed, message.Trace, cancellationToken);
            case Delivery.Poisoned poisoned:
                LogPoisoned(poisoned.Item.ItemId, poisoned.Item.RunId, poisoned.Item.Attempts);
                await ContinueAsync(poisoned.Item.RunId, poisoned.Completion, message.Trace, cancellationToken);
                // The message moves to the poison queue: this copy, then the host deletes the delivered one.
                await queue.Poison.SendMessageAsync(message.ToJson(), cancellationToken);
                return poisoned.Completion;
            default:
                LogStale(message.ItemId);
                return null;
        }
    }

    private async Task<ItemCompletion?> WorkAsync(Delivery.Claimed delivery, RunTrace? trace, CancellationToken cancellationToken)
    {
        var item = delivery.Item;
        var run = await runs.FindWorkAsync(item.RunId, cancellationToken)
            ?? throw new InvalidOperationException($"Work item {item.ItemId} names run {item.RunId}, which does not exist.");
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["RunId"] = run.RunId,
            ["WeekStart"] = run.Request.Week.ToString(),
            ["Scope"] = run.Request.Scope,
            ["ItemId"] = item.ItemId,
        });
        using var activity = WeeklyTelemetry.Source.StartActivity(WeeklyTelemetry.WorkItemSpan, ActivityKind.Consumer, trace?.Parent ?? default);
        activity?.SetTag(WeeklyTelemetry.RunIdAttribute, run.RunId).SetTag(WeeklyTelemetry.ItemIdAttribute, item.ItemId)
            .SetTag(WeeklyTelemetry.OrgIdAttribute, item.OrgId).SetTag(WeeklyTelemetry.StageAttribute, item.Stage.ToWire());

        await using var alive = heartbeat.Start(run.RunId, cancellationToken);
        WorkedStage? worked;
        using (var org = WeeklyTelemetry.Source.StartActivity(WeeklyTelemetry.OrgSpan))
        {
            org?.SetTag(WeeklyTelemetry.OrgIdAttribute, item.OrgId);
            worked = await RunStageAsync(run, delivery, cancellationToken);
        }

        if (worked is null)
        {
            return null;
        }

        if (worked.Unreached.Count > 0)
        {
            LogBudgetSpent(item.ItemId, worked.Unreached.Count);
        }

        var completion = await items.CompleteAsync(item, delivery.Claim, worked.Notes, options.Value.ItemTeams, worked.Unreached, cancellationToken);
        if (completion is null)
        {
            LogClaimLost(item.ItemId);
            return null;
        }

        await ContinueAsync(run.RunId, completion, trace, cancellationToken);
        return completion;
    }

    /// <summary>
    /// Runs the item's stage and records each team's result: the notes it left and the teams its budget did not reach,
    /// or null when the claim was lost or the host stops.
    /// </summary>
    private async Task<WorkedStage?> RunStageAsync(RunWork run, Delivery.Claimed delivery, CancellationToken cancellationToken)
    {
        var item = delivery.Item;
        using var deadlineReached = new CancellationTokenSource(Positive(run.DeadlineIn), time);
        using var budgetSpent = new CancellationTokenSource(options.Value.ItemBudget, time);
        using var lockLost = new CancellationTokenSource();
        using var claimLost = new CancellationTokenSource();
        using var stopSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadlineReached.Token, lockLost.Token, claimLost.Token);
        // A lost org fence (another run took the org) stops the item's teams, which are still recorded under the
        // claim; a lost claim (another delivery took the item) stops everything, this delivery records nothing more.
        var stop = new RunStop(lockLost, deadlineReached, stopSource.Token, budgetSpent.Token);

        var org = (await tenants.LoadScopeAsync(item.OrgId, null, cancellationToken)).SingleOrDefault()
            ?? new OrgRef(item.OrgId, string.Empty, 0, []);
        var progress = new OrgProgress(org);
        foreach (var result in (await items.ResultsAsync(run.RunId, cancellationToken)).Where(result => result.OrgId == item.OrgId && result.Stage < item.Stage))
        {
            if (org.Teams.FirstOrDefault(team => team.TeamId == result.TeamId) is { } team)
            {
                progress.Record(team, new TeamStageResult(result.Stage, result.ToOutcome(), result.DurationMs));
            }
        }

        var recorded = await items.RecordedTeamsAsync(run.RunId, item.Stage, item.TeamIds, cancellationToken);
        var active = org.Teams.Where(team => item.TeamIds.Contains(team.TeamId)).ToDictionary(team => team.TeamId);
        var fence = fences.For(run.Request.Week, item.OrgId, run.RunId, delivery.Claim);
        var notes = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var context = new OrgStageContext(run.RunId, run.Request.Week, org, run.Request.Force, progress, fence, note => notes.TryAdd(note, true));

        async Task RecordAsync(Guid teamId, TeamStageResult result)
        {
            try
            {
                await items.RecordAsync(item, delivery.Claim, teamId, result.Outcome, result.DurationMs, CancellationToken.None);
            }
            catch (LockLostException)
            {
                await claimLost.CancelAsync();
            }
        }

        // Teams archived since the run was planned are not processed.
        foreach (var teamId in item.TeamIds.Where(teamId => !active.ContainsKey(teamId) && !recorded.Contains(teamId)))
        {
            await RecordAsync(teamId, new TeamStageResult(item.Stage, new StageOutcome(StageStatus.NotStarted, "team_archived"), 0));
        }

        var teams = active.Values.Where(team => !recorded.Contains(team.TeamId)).OrderBy(team => team.TeamId).ToList();
        var unreached = new ConcurrentBag<Guid>();
        if (!stageRunner.Stages.TryGetValue(item.Stage, out var implementation))
        {
            notes.TryAdd($"stage_unavailable:{item.Stage.ToWire()}", true);
            foreach (var team in teams)
            {
                await RecordAsync(team.TeamId, new TeamStageResult(item.Stage, StageOutcome.Skip(StageReasons.StageUnavailable), 0));
            }
        }
        else
        {
            await stageRunner.RunAsync(implementation, context, teams, stop, (team, result) =>
            {
                if (result.Outcome is { Status: StageStatus.NotStarted, Reason: StageReasons.ItemBudget })
                {
                    unreached.Add(team.TeamId);
                    return Task.CompletedTask;
                }

                // Shutdown is no outcome, nor is anything after the claim was lost: the team is left for the next delivery.
                return (cancellationToken.IsCancellationRequested || claimLost.IsCancellationRequested) && result.Outcome.Status == StageStatus.NotStarted
                    ? Task.CompletedTask
                    : RecordAsync(team.TeamId, result);
            });
        }

        if (claimLost.IsCancellationRequested)
        {
            LogClaimLost(item.ItemId);
            return null;
        }

        if (stop.Describe() is { } stopped)
        {
            notes.TryAdd(stopped, true);
        }

        return cancellationToken.IsCancellationRequested ? null : new WorkedStage(notes.Keys.ToList(), [.. unreached.Order()]);
    }

    private sealed record WorkedStage(IReadOnlyCollection<string> Notes, IReadOnlyList<Guid> Unreached);

    /// <summary>
    /// What follows a transition of the run's items: the messages of the items it created, the retry of deferred orgs
    /// (taken now: their items are created; still held: their teams are locked), and the end of the run. The messages
    /// carry <paramref name="trace"/>, the run's root span.
    /// </summary>
    public async Task ContinueAsync(Guid runId, ItemCompletion completion, RunTrace? trace, CancellationToken cancellationToken)
    {
        await outbox.SendAsync(runId, completion.CreatedItems, trace, completion.StartsRun, cancellationToken);
        foreach (var placeholder in completion.Deferred)
        {
            var run = (await runs.FindWorkAsync(runId, cancellationToken))!;
            var holder = new LockHolder(
                runId, run.Trigger.ToWire(), run.Request.Mode.ToWire(), run.Request.Scope, run.StartedAt, run.StartedAt + lockOptions.Value.Ttl, host.Name);
            var taken = (await locks.TryAcquireAsync(LockKey.ForOrg(run.Request.Week, placeholder.OrgId), holder, cancellationToken)).Acquired;
            if (taken)
            {
                await fences.TakeAsync(run.Request.Week, placeholder.OrgId, runId, cancellationToken);
            }

            LogDeferredRetried(placeholder.OrgId, taken);
            await ContinueAsync(runId, await items.ResolveDeferredAsync(placeholder, taken, options.Value.ItemTeams, cancellationToken), trace, cancellationToken);
        }

        if (completion.RunFinal)
        {
            await finisher.FinishAsync(runId, cancellationToken);
        }
    }

    private static TimeSpan Positive(TimeSpan? span) => span is { } value ? (value > TimeSpan.Zero ? value : TimeSpan.Zero) : Timeout.InfiniteTimeSpan;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work item {ItemId} of run {RunId} was delivered {Attempts} times without finishing; its teams failed (WORK_ITEM_POISONED)")]
    private partial void LogPoisoned(Guid itemId, Guid runId, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Work item {ItemId} spent its time budget; its {Count} teams not reached go to a new item")]
    private partial void LogBudgetSpent(Guid itemId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Org {OrgId}, held by another run at admission, retried: {Taken}")]
    private partial void LogDeferredRetried(Guid orgId, bool taken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A queue message names no work item; it was copied to the poison queue")]
    private partial void LogUnreadable();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Work item {ItemId} is final already; the delivery does nothing")]
    private partial void LogStale(Guid itemId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work item {ItemId} was taken by another delivery (or its run's lock) while this one worked it; nothing more is written")]
    private partial void LogClaimLost(Guid itemId);

}
