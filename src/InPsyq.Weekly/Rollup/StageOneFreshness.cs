using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Rollup;

/// <summary>
/// Whether a team-week's stored stage-1 row still matches its answers. INTERPRETATION_ONLY interprets the stored
/// stage-2 output as it is, and flags it (<c>stale_pipeline_output</c>) when the answers changed since.
/// </summary>
public sealed class StageOneFreshness(NpgsqlDataSource dataSource)
{
    public async Task<bool> HasChangedSinceStoredAsync(TeamRef team, IsoWeek week, int minRespondents, CancellationToken cancellationToken)
    {
        var rollup = await RollupQuery.ComputeAsync(dataSource, team.TeamId, week, minRespondents, PipelineVersions.Compute, RollupStatistics.Never, cancellationToken);
        return rollup is { StoredHash: not null } && rollup.StoredHash != rollup.InputHash;
    }
}
