using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Runs;

/// <summary>A validated request for a weekly run: the week is resolved, every field is typed.</summary>
public sealed record RunRequest(
    IsoWeek Week,
    Guid? OrgId,
    Guid? TeamId,
    RunMode Mode,
    bool DryRun,
    bool Force)
{
    /// <summary>The audit scope: <c>all</c>, <c>org:{id}</c> or <c>team:{id}</c>.</summary>
    public string Scope => TeamId is { } team ? $"team:{team}" : OrgId is { } org ? $"org:{org}" : "all";

    public bool IsWholeWeek => OrgId is null;

    /// <summary>Who asked, when the request came with an Entra ID token: recorded on the audit row.</summary>
    public CallerIdentity? Caller { get; init; }
}

/// <summary>
/// A run request as it arrives, before validation: what the JSON body or the command line said, with the JSON
/// types already checked. <see cref="RunRequestValidator"/> turns it into a <see cref="RunRequest"/>.
/// </summary>
public sealed record RunRequestDraft
{
    public string? WeekStart { get; init; }
    public long? WeekOffset { get; init; }
    public string? OrgId { get; init; }
    public string? TeamId { get; init; }
    public string? Mode { get; init; }
    public bool? DryRun { get; init; }
    public bool? Force { get; init; }
}
