using InPsyq.Weekly.Pipeline;

namespace InPsyq.Weekly.Runs;

/// <summary>Accumulates the counters of a run from team and stage results.</summary>
internal sealed class RunCountsBuilder
{
    private RunCounts _counts = new();

    public void AddOrg(bool failed, bool succeeded) => _counts = _counts with
    {
        OrgsFailed = _counts.OrgsFailed + (failed ? 1 : 0),
        OrgsSucceeded = _counts.OrgsSucceeded + (succeeded ? 1 : 0),
    };

    public void AddTeam(StageStatus status, IReadOnlyList<TeamStageResult> results)
    {
        var c = _counts with
        {
            TeamsTotal = _counts.TeamsTotal + 1,
            TeamsSucceeded = _counts.TeamsSucceeded + (status == StageStatus.Succeeded ? 1 : 0),
            TeamsFailed = _counts.TeamsFailed + (status.IsFailure() ? 1 : 0),
            TeamsSkipped = _counts.TeamsSkipped + (results.Count > 0 && results.All(r => r.Outcome.Status == StageStatus.Skipped) ? 1 : 0),
        };
        foreach (var result in results)
        {
            var outcome = result.Outcome;
            var written = outcome.Wrote ? 1 : 0;
            var skipped = outcome.Status == StageStatus.Skipped ? 1 : 0;
            c = result.Stage switch
            {
                PipelineStage.Rollup => c with
                {
                    AggregatesWritten = c.AggregatesWritten + written,
                    AggregatesSkipped = c.AggregatesSkipped + skipped,
                },
                PipelineStage.Attribution => c with
                {
                    AttributionsWritten = c.AttributionsWritten + written,
                    AttributionsSkipped = c.AttributionsSkipped + skipped,
                },
                _ => c with
                {
                    InterpretationsWritten = c.InterpretationsWritten + written,
                    InterpretationsSkipped = c.InterpretationsSkipped + skipped,
                    InterpretationsFailed = c.InterpretationsFailed + (outcome.Status.IsFailure() ? 1 : 0),
                    LlmTokensIn = c.LlmTokensIn + outcome.TokensIn,
                    LlmTokensOut = c.LlmTokensOut + outcome.TokensOut,
                },
            };
        }

        _counts = c;
    }

    public RunCounts Build(int orgsTotal) => _counts with { OrgsTotal = orgsTotal };
}
