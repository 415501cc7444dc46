using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Alerts;

/// <summary>
/// What one alert says, before it is shaped for the webhook. It carries ids, codes and counts only: never error
/// messages (they may quote survey items or values) and never secrets.
/// </summary>
internal sealed record AlertMessage(AlertKind Kind, string Scope, IsoWeek Week, Guid? RunId, string Summary)
{
    public string? Mode { get; init; }

    /// <summary>What started the run (<c>schedule | manual | http | cli</c>).</summary>
    public string? Trigger { get; init; }

    public string? Status { get; init; }

    public RunCounts? Counts { get; init; }

    /// <summary>The run's first errors (the report keeps 20), without their messages.</summary>
    public IReadOnlyList<AlertError> Errors { get; init; } = [];

    /// <summary>Every team that failed or timed out, however many.</summary>
    public IReadOnlyList<FailingTeam> FailingTeams { get; init; } = [];
}

internal sealed record AlertError(Guid? OrgId, Guid? TeamId, string? Stage, string Code);

internal sealed record FailingTeam(Guid OrgId, Guid TeamId, string Stage, string Status, string? Code);

/// <summary>The dedup key: one incident per group, scope and week.</summary>
internal sealed record IncidentKey(string Group, string Scope, IsoWeek Week);

/// <summary>An incident as the recovery message describes it.</summary>
internal sealed record Incident(IncidentKey Key, AlertKind Kind, Guid? FirstRunId, DateTimeOffset OpenedAt);
