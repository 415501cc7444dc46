using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace InPsyq.Weekly.Attribution;

/// <summary>
/// Stage 2, series and attribution: per team, the <c>team_series</c> rows of the four indices and the attribution
/// document in Blob storage, both stamped with the attribution input hash and written only when it changed.
/// </summary>
public sealed partial class AttributionStage(
    NpgsqlDataSource dataSource,
    BlobStore blobStore,
    TimeProvider time,
    ILogger<AttributionStage> logger) : IPipelineStage
{
    private readonly AttributionStore _store = new(dataSource);
    private readonly AttributionBlobs _blobs = new(blobStore.Attribution);
    private readonly TimeProvider _time = time;

    public PipelineStage Stage => PipelineStage.Attribution;

    public async Task<IOrgStage> BeginOrgAsync(OrgStageContext context, CancellationToken cancellationToken)
    {
        var week = context.Week;
        var inputs = await _store.LoadAsync(context.Org.OrgId, week, OrgAttributionModel.WindowStartOf(week), cancellationToken);

        var validation = DependencyGraph.Validate(inputs.Edges, inputs.Teams);
        foreach (var warning in validation.Warnings)
        {
            LogInvalidDependency(warning.Edge.UpstreamTeamId, warning.Edge.DownstreamTeamId, warning.Reason);
            context.AddNote($"{DependencyWarning.Code}:{warning.Edge.UpstreamTeamId:D}->{warning.Edge.DownstreamTeamId:D}");
        }

        // This week's row of a team in the run's scope counts only when its stage 1 is done in this run; a team
        // outside the scope (a team-scoped run) keeps its stored row, so both runs agree on baseline and digest.
        var inScope = context.Org.Teams.Select(team => team.TeamId).ToHashSet();
        var aggregates = inputs.Aggregates.Where(row =>
            row.WeekStart != week.Monday || !inScope.Contains(row.TeamId) || HasCurrentAggregate(context.Progress, row.TeamId));

        return new OrgStage(this, context, new OrgAttributionModel(week, aggregates, validation.ValidEdges), inputs.SeriesHashes);
    }

    private static bool HasCurrentAggregate(OrgProgress progress, Guid teamId) =>
        progress.Find(teamId, PipelineStage.Rollup)?.Outcome is { } outcome && outcome.Status.IsDone() && outcome.Reason != StageReasons.NoData;

    [LoggerMessage(Level = LogLevel.Information, Message = "Ignoring dependency {UpstreamTeamId} -> {DownstreamTeamId}: {Reason}")]
    private partial void LogInvalidDependency(Guid upstreamTeamId, Guid downstreamTeamId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Team {TeamId} is suppressed in week {WeekStart}; removed its series and attribution")]
    private partial void LogSuppressedRemoved(Guid teamId, string weekStart);

    private sealed class OrgStage(
        AttributionStage owner,
        OrgStageContext context,
        OrgAttributionModel model,
        IReadOnlyDictionary<Guid, IReadOnlyList<string>> seriesHashes) : IOrgStage
    {
        public async Task<StageOutcome> RunTeamAsync(TeamRef team, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (model.CurrentOf(team.TeamId))
            {
                case null:
                    return StageOutcome.Skip(StageReasons.NoData);
                case { Suppressed: true }:
                    await RemoveAsync(team.TeamId, cancellationToken);
                    return StageOutcome.Skip(StageReasons.Suppressed);
            }

            var inputHash = model.InputHashOf(team.TeamId);
            if (!context.Force && await IsDoneAsync(team.TeamId, inputHash, cancellationToken))
            {
                return StageOutcome.Skip(StageReasons.HashMatch);
            }

            var attribution = model.Compute(team.TeamId, context.Org.OrgId, context.RunId);

            // The blob first: the unit counts as done only once the team_series rows carry the hash as well.
            await context.Fence.EnsureHeldAsync(cancellationToken);
            await owner._blobs.WriteAsync(context.Week, attribution.Document, cancellationToken);
            await AttributionStore.WriteSeriesAsync(context, team.TeamId, inputHash, attribution.Series, owner._time.GetUtcNow(), cancellationToken);
            return StageOutcome.Written();
        }

        public async Task<StagePlan> PlanTeamAsync(TeamRef team, CancellationToken cancellationToken)
        {
            if (WillRunRollup(team.TeamId))
            {
                return StagePlan.Run(StageReasons.UpstreamWillRun);
            }

            switch (model.CurrentOf(team.TeamId))
            {
                case null:
                    return StagePlan.Skip(StageReasons.NoData);
                case { Suppressed: true }:
                    return StagePlan.Skip(StageReasons.Suppressed);
            }

            // Any new stage-1 result of the org changes the digest (and org means), not only an upstream's.
            if (context.Org.Teams.Any(other => WillRunRollup(other.TeamId)))
            {
                return StagePlan.Run(StageReasons.UpstreamWillRun);
            }

            if (context.Force)
            {
                return StagePlan.Run(StageReasons.Forced);
            }

            return await IsDoneAsync(team.TeamId, model.InputHashOf(team.TeamId), cancellationToken)
                ? StagePlan.Skip(StageReasons.HashMatch)
                : StagePlan.Run(StageReasons.InputChanged);
        }

        private bool WillRunRollup(Guid teamId) => context.Progress.Find(teamId, PipelineStage.Rollup)?.Plan is { WillRun: true };

        /// <summary>Both halves of the unit carry the hash: every <c>team_series</c> row and the blob's metadata.</summary>
        private async Task<bool> IsDoneAsync(Guid teamId, string inputHash, CancellationToken cancellationToken) =>
            seriesHashes.TryGetValue(teamId, out var hashes)
            && hashes.Count == IndexDefinitions.All.Count
            && hashes.All(hash => hash == inputHash)
            && await owner._blobs.FindInputHashAsync(context.Org.OrgId, context.Week, teamId, cancellationToken) == inputHash;

        private async Task RemoveAsync(Guid teamId, CancellationToken cancellationToken)
        {
            await AttributionStore.DeleteSuppressedAsync(context, teamId, cancellationToken);
            await context.Fence.EnsureHeldAsync(cancellationToken);
            await owner._blobs.DeleteAsync(context.Org.OrgId, context.Week, teamId, cancellationToken);
            owner.LogSuppressedRemoved(teamId, context.Week.ToString());
        }
    }
}
