using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Pipeline;

/// <summary>The three stages of the weekly pipeline, in execution order.</summary>
public enum PipelineStage
{
    Rollup = 1,
    Attribution = 2,
    Interpretation = 3,
}

/// <summary>Result of one team in one stage. The order of the members is irrelevant; see <see cref="StageStatuses.Severity"/>.</summary>
public enum StageStatus
{
    Succeeded,
    Skipped,
    Failed,
    TimedOut,
    NotStarted,
    Locked,
}

/// <summary>An organisation in scope of a run, with its active (non-archived) teams in team_id order.</summary>
public sealed record OrgRef(Guid OrgId, string Name, int MinRespondents, IReadOnlyList<TeamRef> Teams);

/// <summary>An active team.</summary>
public sealed record TeamRef(Guid TeamId, Guid OrgId, string Name);

/// <summary>What one team's stage did. Reasons and codes are machine-readable; messages are safe to show.</summary>
public sealed record StageOutcome(StageStatus Status, string? Reason = null, string? ErrorCode = null, string? ErrorMessage = null)
{
    /// <summary>Whether this unit wrote its output (rows or blobs); false for hash matches and dry runs.</summary>
    public bool Wrote { get; init; }

    public long TokensIn { get; init; }

    public long TokensOut { get; init; }

    /// <summary>The LLM calls the service answered for this unit (stage 3).</summary>
    public int LlmCalls { get; init; }

    public static StageOutcome Written() => new(StageStatus.Succeeded) { Wrote = true };

    public static StageOutcome Skip(string reason) => new(StageStatus.Skipped, reason);

    public static StageOutcome Fail(string code, string message) => new(StageStatus.Failed, null, code, message);
}

/// <summary>Whether a stage would run or skip for a team, and why (dry run).</summary>
public sealed record StagePlan(bool WillRun, string Reason)
{
    public static StagePlan Run(string reason) => new(true, reason);

    public static StagePlan Skip(string reason) => new(false, reason);
}

/// <summary>Everything a stage needs to process one org in one run.</summary>
/// <param name="RunId">The run; every write is stamped with it.</param>
/// <param name="Week">The week being processed.</param>
/// <param name="Org">The org and its active teams.</param>
/// <param name="Force">Recompute even when an input hash matches.</param>
/// <param name="Progress">This run's results (or, in a dry run, plans) of the earlier stages of this org.</param>
/// <param name="Fence">Every pipeline write of this org goes through it (the org fence, and a work item's claim).</param>
/// <param name="AddNote">Adds a machine-readable note to the run report, e.g. <c>INVALID_DEPENDENCY:{upstream}->{downstream}</c>.</param>
public sealed record OrgStageContext(
    Guid RunId,
    IsoWeek Week,
    OrgRef Org,
    bool Force,
    OrgProgress Progress,
    WriteFence Fence,
    Action<string> AddNote);

/// <summary>
/// One pipeline stage. The orchestrator calls <see cref="BeginOrgAsync"/> once per org (after every team of the
/// org finished the previous stage), then asks the returned <see cref="IOrgStage"/> for each team, in parallel.
/// </summary>
public interface IPipelineStage
{
    PipelineStage Stage { get; }

    /// <summary>The per-team budget of this stage; null means <c>WEEKLY_TEAM_TIMEOUT_SECONDS</c>.</summary>
    TimeSpan? TeamTimeout => null;

    Task<IOrgStage> BeginOrgAsync(OrgStageContext context, CancellationToken cancellationToken);
}

/// <summary>A stage bound to one org and week.</summary>
public interface IOrgStage
{
    /// <summary>Runs the stage for one team; writes its unit completely (fenced) or not at all.</summary>
    Task<StageOutcome> RunTeamAsync(TeamRef team, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="RunTeamAsync(TeamRef, CancellationToken)"/>, with the team's <paramref name="budget"/>, which a
    /// stage pauses while it waits for capacity shared with other teams; <paramref name="cancellationToken"/> already
    /// includes the budget's token.
    /// </summary>
    Task<StageOutcome> RunTeamAsync(TeamRef team, TeamBudget budget, CancellationToken cancellationToken) => RunTeamAsync(team, cancellationToken);

    /// <summary>Says what <see cref="RunTeamAsync(TeamRef, CancellationToken)"/> would do, without writing anything.</summary>
    Task<StagePlan> PlanTeamAsync(TeamRef team, CancellationToken cancellationToken);
}
