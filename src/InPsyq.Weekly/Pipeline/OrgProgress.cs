using System.Collections.Concurrent;

namespace InPsyq.Weekly.Pipeline;

/// <summary>What one team did in one stage of this run (or, in a dry run, what it would do).</summary>
public sealed record TeamStageResult(PipelineStage Stage, StageOutcome Outcome, long DurationMs, StagePlan? Plan = null);

/// <summary>
/// The results of one org's teams in this run, stage by stage. Later stages read it: stage 2 uses the teams whose
/// stage 1 succeeded or hash-skipped, and a team whose earlier stage failed is not started in later ones.
/// </summary>
public sealed class OrgProgress(OrgRef org)
{
    private readonly ConcurrentDictionary<(Guid TeamId, PipelineStage Stage), TeamStageResult> _results = new();

    public OrgRef Org { get; } = org;

    public void Record(TeamRef team, TeamStageResult result) => _results[(team.TeamId, result.Stage)] = result;

    public TeamStageResult? Find(Guid teamId, PipelineStage stage) =>
        _results.TryGetValue((teamId, stage), out var result) ? result : null;

    /// <summary>The results of one team, in stage order.</summary>
    public IReadOnlyList<TeamStageResult> ResultsOf(Guid teamId) =>
        [.. _results.Where(entry => entry.Key.TeamId == teamId).Select(entry => entry.Value).OrderBy(result => result.Stage)];
}
