using System.Text.Json.Serialization;
using InPsyq.Weekly.Locking;

namespace InPsyq.Weekly.Runs;

/// <summary>Status of a whole run.</summary>
public enum RunStatus
{
    Planned,
    Running,
    Completed,
    Partial,
    Failed,
    Locked,
    Abandoned,
}

/// <summary>The report of a run: the HTTP body, the CLI's <c>--json</c> output, and the basis of the audit row.</summary>
public sealed record RunReport
{
    public required Guid RunId { get; init; }
    public required string Trigger { get; init; }
    public required string WeekStart { get; init; }
    public required string WeekLabel { get; init; }
    public required RunScopeReport Scope { get; init; }
    public required string Mode { get; init; }
    public required bool DryRun { get; init; }
    public required bool Force { get; init; }

    public required RunStatus Status { get; init; }

    public required long DurationMs { get; init; }
    public required RunCounts Counts { get; init; }
    public required IReadOnlyList<RunError> Errors { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>Per team and stage: run or skip, and why (dry runs only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<PlanEntry>? Plan { get; init; }

    /// <summary>Whether the lock is free, and who holds it (dry runs only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LockStatus? Lock { get; init; }

    /// <summary>Per team: its status and each stage's result.</summary>
    public required IReadOnlyList<TeamReport> Teams { get; init; }
}

public sealed record RunScopeReport(Guid? OrgId, Guid? TeamId);

public sealed record RunError(Guid? OrgId, Guid? TeamId, string? Stage, string Code, string Message);

public sealed record PlanEntry(Guid OrgId, Guid TeamId, string Stage, string Action, string Reason);

/// <summary>The lock as a dry run saw it; not free with a null holder: held by a run not yet known.</summary>
public sealed record LockStatus(bool Free, LockHolder? Holder);

public sealed record TeamReport(Guid OrgId, Guid TeamId, string Name, string Status, IReadOnlyList<StageReport> Stages);

public sealed record StageReport(
    string Stage,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    long DurationMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <summary>The counters of a run, as in the report and the columns of <c>weekly_runs</c>.</summary>
public sealed record RunCounts
{
    public int OrgsTotal { get; init; }
    public int OrgsSucceeded { get; init; }
    public int OrgsFailed { get; init; }
    public int TeamsTotal { get; init; }
    public int TeamsSucceeded { get; init; }
    public int TeamsFailed { get; init; }
    public int TeamsSkipped { get; init; }
    public int AggregatesWritten { get; init; }
    public int AggregatesSkipped { get; init; }
    public int AttributionsWritten { get; init; }
    public int AttributionsSkipped { get; init; }
    public int InterpretationsWritten { get; init; }
    public int InterpretationsSkipped { get; init; }
    public int InterpretationsFailed { get; init; }
    public long LlmTokensIn { get; init; }
    public long LlmTokensOut { get; init; }
}
