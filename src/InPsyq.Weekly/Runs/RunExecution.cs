using System.Collections.Concurrent;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Storage;

namespace InPsyq.Weekly.Runs;

/// <summary>Creates the executions of runs with the services they share.</summary>
public sealed class RunExecutionFactory(
    TenantDirectory tenants,
    WeeklyLockManager locks,
    LockFences fences,
    TeamStageRunner stageRunner,
    TimeProvider time)
{
    public RunExecution Create(Guid runId, RunRequest request, RunTrigger trigger) =>
        new(runId, request, trigger, tenants, locks, fences, stageRunner.Stages, time);
}

/// <summary>
/// One admitted request, before its work items: its dry-run plan (what every team and stage would do, and whether
/// the lock is free), and the reports of a run that ended before any item (locked, or failed while admitted).
/// </summary>
public sealed class RunExecution
{
    private readonly TenantDirectory _tenants;
    private readonly WeeklyLockManager _locks;
    private readonly LockFences _fences;
    private readonly IReadOnlyDictionary<PipelineStage, IPipelineStage> _stages;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, bool> _notes = new(StringComparer.Ordinal);
    private readonly long _startTimestamp;

    internal RunExecution(
        Guid runId,
        RunRequest request,
        RunTrigger trigger,
        TenantDirectory tenants,
        WeeklyLockManager locks,
        LockFences fences,
        IReadOnlyDictionary<PipelineStage, IPipelineStage> stages,
        TimeProvider time)
    {
        RunId = runId;
        Request = request;
        Trigger = trigger;
        _tenants = tenants;
        _locks = locks;
        _fences = fences;
        _stages = stages;
        _time = time;
        _startTimestamp = time.GetTimestamp();
    }

    public Guid RunId { get; }

    public RunRequest Request { get; }

    public RunTrigger Trigger { get; }

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

    private OrgStageContext Context(OrgProgress org) =>
        new(RunId, Request.Week, org.Org, Request.Force, org, _fences.For(Request.Week, org.Org.OrgId, RunId), AddNote);

    private void AddNote(string note) => _notes.TryAdd(note, true);

    private RunReport BuildReport(IReadOnlyList<OrgProgress> orgs, IReadOnlySet<Guid> locked, RunStatus status) =>
        RunOutcomes.Report(RunId, Trigger, Request, orgs, locked, status, [], _notes.Keys, ElapsedMs(_startTimestamp));

    private long ElapsedMs(long startTimestamp) => (long)_time.GetElapsedTime(startTimestamp).TotalMilliseconds;

}
