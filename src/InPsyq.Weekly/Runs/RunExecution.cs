using System.Collections.Concurrent;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Runs;

/// <summary>Creates the executions of runs with the services they share.</summary>
public sealed class RunExecutionFactory(
    TenantDirectory tenants,
    WeeklyLockManager locks,
    LockFences fences,
    TeamStageRunner stageRunner,
    TimeProvider time,
    ILogger<RunExecution> logger)
{
    public RunExecution Create(Guid runId, RunRequest request, RunTrigger trigger) =>
        new(runId, request, trigger, tenants, locks, fences, stageRunner.Stages, stageRunner, time, logger);
}

/// <summary>
/// One run: orgs serially in org_id order, and within an org stage by stage, each stage's teams in a sliding window
/// of <c>WEEKLY_TEAM_PARALLELISM</c> with a per-team budget. Whatever stops the run (deadline, TTL, lost lock,
/// shutdown) leaves the teams it did not reach <c>not_started</c>; finished units stay and are reused next time.
/// </summary>
public sealed partial class RunExecution : IDisposable
{
    private readonly TenantDirectory _tenants;
    private readonly WeeklyLockManager _locks;
    private readonly LockFences _fences;
    private readonly IReadOnlyDictionary<PipelineStage, IPipelineStage> _stages;
    private readonly TeamStageRunner _stageRunner;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lockLost = new();
    private readonly ConcurrentDictionary<string, bool> _notes = new(StringComparer.Ordinal);
    private readonly List<RunError> _runErrors = [];
    private readonly long _startTimestamp;

    internal RunExecution(
        Guid runId,
        RunRequest request,
        RunTrigger trigger,
        TenantDirectory tenants,
        WeeklyLockManager locks,
        LockFences fences,
        IReadOnlyDictionary<PipelineStage, IPipelineStage> stages,
        TeamStageRunner stageRunner,
        TimeProvider time,
        ILogger logger)
    {
        RunId = runId;
        Request = request;
        Trigger = trigger;
        _tenants = tenants;
        _locks = locks;
        _fences = fences;
        _stages = stages;
        _stageRunner = stageRunner;
        _time = time;
        _logger = logger;
        _startTimestamp = time.GetTimestamp();
    }

    public Guid RunId { get; }

    public RunRequest Request { get; }

    public RunTrigger Trigger { get; }

    /// <summary>Runs the request under <paramref name="firstLock"/> (the week lock, or the org lock of a scoped run).</summary>
    public async Task<RunReport> RunAsync(HeldLock firstLock, LockHolder holder, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var deadlineReached = new CancellationTokenSource(deadline, _time);
        using var ttlExpired = new CancellationTokenSource(Positive(holder.ExpiresAt - _time.GetUtcNow()), _time);
        using var lostRegistration = firstLock.Lost.Register(_lockLost.Cancel);
        using var stopSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadlineReached.Token, ttlExpired.Token, _lockLost.Token);
        var stop = new RunStop(_lockLost, ttlExpired, deadlineReached, stopSource.Token);

        var orgs = (await _tenants.LoadScopeAsync(Request.OrgId, Request.TeamId, cancellationToken)).Select(org => new OrgProgress(org)).ToList();
        var locked = new HashSet<Guid>();
        if (Request.IsWholeWeek)
        {
            var deferred = new List<OrgProgress>();
            foreach (var org in orgs)
            {
                if (!await TryProcessUnderOrgLockAsync(org, holder, stop))
                {
                    deferred.Add(org);
                }
            }

            // Orgs held by scoped runs get one more chance at the end, if time remains.
            foreach (var org in deferred)
            {
                if (!await TryProcessUnderOrgLockAsync(org, holder, stop))
                {
                    locked.Add(org.Org.OrgId);
                    RecordAll(org, StageStatus.Locked, "org_locked");
                }
            }
        }
        else
        {
            foreach (var org in orgs)
            {
                await ProcessOrgAsync(org, stop);
            }
        }

        if (_lockLost.IsCancellationRequested)
        {
            _runErrors.Add(new RunError(null, null, null, "LOCK_LOST", "The run lost its lock; it stopped writing and left unfinished teams not_started."));
        }

        if (stop.Describe() is { } reason)
        {
            AddNote(reason);
        }

        if (orgs.All(org => org.Org.Teams.Count == 0))
        {
            AddNote("no_teams");
        }

        return BuildReport(orgs, locked, RunOutcomes.Status(orgs, locked, hasRunErrors: _runErrors.Count > 0));
    }

    /// <summary>The dry run: what every team and stage would do, and whether the lock is free. Writes nothing.</summary>
    public async Task<RunReport> PlanAsync(CancellationToken cancellationToken)
    {
        var key = Request.IsWholeWeek ? LockKey.WholeWeek(Request.Week) : LockKey.ForOrg(Request.Week, Request.OrgId!.Value);
        var lockState = await _locks.InspectAsync(key, cancellationToken);
        var orgs = (await _tenants.LoadScopeAsync(Request.OrgId, Request.TeamId, cancellationToken)).Select(org => new OrgProgress(org)).ToList();
        var plan = new List<PlanEntry>();
        foreach (var org in orgs)
        {
            foreach (var stage in StageStatuses.StagesOf(Request.Mode))
            {
                var orgStage = _stages.TryGetValue(stage, out var implementation)
                    ? await implementation.BeginOrgAsync(Context(org), cancellationToken)
                    : null;
                foreach (var team in org.Org.Teams)
                {
                    var teamPlan = orgStage is null ? StagePlan.Skip(StageReasons.StageUnavailable) : await orgStage.PlanTeamAsync(team, cancellationToken);
                    org.Record(team, new TeamStageResult(stage, StageOutcome.Skip(teamPlan.Reason), 0, teamPlan));
                    plan.Add(new PlanEntry(org.Org.OrgId, team.TeamId, stage.ToWire(), teamPlan.WillRun ? "run" : "skip", teamPlan.Reason));
                }
            }
        }

        return BuildReport(orgs, new HashSet<Guid>(), RunStatus.Planned) with
        {
            Plan = plan,
            Lock = new LockStatus(!lockState.Held, lockState.Holder),
            Teams = [],
        };
    }

    public RunReport LockedReport() => BuildReport([], new HashSet<Guid>(), RunStatus.Locked);

    public RunReport FailedReport(string error) => BuildReport([], new HashSet<Guid>(), RunStatus.Failed) with
    {
        Errors = [new RunError(Request.OrgId, Request.TeamId, null, "RUN_FAILED", error)],
    };

    private async Task<bool> TryProcessUnderOrgLockAsync(OrgProgress org, LockHolder holder, RunStop stop)
    {
        LockAttempt attempt;
        try
        {
            stop.Token.ThrowIfCancellationRequested();
            attempt = await _locks.TryAcquireAsync(LockKey.ForOrg(Request.Week, org.Org.OrgId), holder, stop.Token);
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            RecordAll(org, StageStatus.NotStarted, stop.Describe());
            return true;
        }

        if (!attempt.Acquired)
        {
            return false;
        }

        await using (attempt.Lock)
        {
            using var lostRegistration = attempt.Lock!.Lost.Register(_lockLost.Cancel);
            await ProcessOrgAsync(org, stop);
        }

        return true;
    }

    private async Task ProcessOrgAsync(OrgProgress org, RunStop stop)
    {
        using var activity = WeeklyTelemetry.Source.StartActivity("weekly.org");
        activity?.SetTag("run_id", RunId).SetTag("org_id", org.Org.OrgId);
        LogOrgStarted(org.Org.OrgId, org.Org.Teams.Count);
        try
        {
            await _fences.TakeAsync(Request.Week, org.Org.OrgId, RunId, stop.Token);
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            RecordAll(org, StageStatus.NotStarted, stop.Describe());
            return;
        }

        PipelineStage? previous = null;
        foreach (var stage in StageStatuses.StagesOf(Request.Mode))
        {
            var ready = new List<TeamRef>();
            foreach (var team in org.Org.Teams)
            {
                if (previous is { } earlier && org.Find(team.TeamId, earlier) is { } result && !result.Outcome.Status.IsDone())
                {
                    org.Record(team, new TeamStageResult(stage, new StageOutcome(StageStatus.NotStarted, StageReasons.UpstreamFailed), 0));
                }
                else
                {
                    ready.Add(team);
                }
            }

            previous = stage;
            if (!_stages.TryGetValue(stage, out var implementation))
            {
                AddNote($"stage_unavailable:{stage.ToWire()}");
                ready.ForEach(team => org.Record(team, new TeamStageResult(stage, StageOutcome.Skip(StageReasons.StageUnavailable), 0)));
                continue;
            }

            await RunStageAsync(implementation, org, ready, stop);
        }
    }

    private Task RunStageAsync(IPipelineStage implementation, OrgProgress org, List<TeamRef> teams, RunStop stop) =>
        _stageRunner.RunAsync(implementation, Context(org), teams, stop, (team, result) =>
        {
            org.Record(team, result);
            return Task.CompletedTask;
        });

    private OrgStageContext Context(OrgProgress org) =>
        new(RunId, Request.Week, org.Org, Request.Force, org, _fences.For(Request.Week, org.Org.OrgId, RunId), AddNote);

    private void AddNote(string note) => _notes.TryAdd(note, true);

    private void RecordAll(OrgProgress org, StageStatus status, string? reason)
    {
        foreach (var team in org.Org.Teams)
        {
            foreach (var stage in StageStatuses.StagesOf(Request.Mode))
            {
                org.Record(team, new TeamStageResult(stage, new StageOutcome(status, reason), 0));
            }
        }
    }

    private RunReport BuildReport(IReadOnlyList<OrgProgress> orgs, IReadOnlySet<Guid> locked, RunStatus status) =>
        RunOutcomes.Report(RunId, Trigger, Request, orgs, locked, status, _runErrors, _notes.Keys, ElapsedMs(_startTimestamp));

    private long ElapsedMs(long startTimestamp) => (long)_time.GetElapsedTime(startTimestamp).TotalMilliseconds;

    private static TimeSpan Positive(TimeSpan span) => span > TimeSpan.Zero ? span : TimeSpan.Zero;

    [LoggerMessage(Level = LogLevel.Information, Message = "Processing org {OrgId} ({TeamCount} teams)")]
    private partial void LogOrgStarted(Guid orgId, int teamCount);

    public void Dispose() => _lockLost.Dispose();
}
