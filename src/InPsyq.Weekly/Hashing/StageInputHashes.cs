using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Hashing;

/// <summary>A stored stage-1 <c>input_hash</c> of one team-week.</summary>
public sealed record AggregateHash(Guid TeamId, DateOnly WeekStart, string Hash);

/// <param name="AggregateHashes">
/// Stage-1 hashes of the team and its upstream teams over the series window; weeks without a row are simply absent.
/// </param>
/// <param name="DependencyEdges">The team's valid edges as downstream team.</param>
public sealed record AttributionHashInput(
    IReadOnlyCollection<AggregateHash> AggregateHashes,
    string OrgWeekDigest,
    IReadOnlyCollection<DependencyEdge> DependencyEdges,
    string ComputeVersion);

/// <summary>The <c>input_hash</c> of stages 2 and 3 (docs/domain.md, Idempotency); independent of the order of the inputs.</summary>
public static class StageInputHashes
{
    public static string Attribution(AttributionHashInput input)
    {
        var hash = new InputHash()
            .Add("compute_version", input.ComputeVersion)
            .Add("org_week_digest", input.OrgWeekDigest);

        var aggregateLines = input.AggregateHashes.Select(aggregate =>
            $"{InputHash.Format(aggregate.TeamId)}/{InputHash.Format(aggregate.WeekStart)}:{aggregate.Hash}");
        foreach (var line in aggregateLines.Order(StringComparer.Ordinal))
        {
            hash.Add("aggregate", line);
        }

        var edgeLines = input.DependencyEdges.Select(edge =>
            $"{InputHash.Format(edge.UpstreamTeamId)}>{InputHash.Format(edge.DownstreamTeamId)}"
            + $":{WireName.Of(edge.Kind)}:{InputHash.Format(edge.Weight)}");
        foreach (var line in edgeLines.Order(StringComparer.Ordinal))
        {
            hash.Add("edge", line);
        }

        return hash.Compute();
    }

    public static string Interpretation(string attributionHash, string promptVersion, string modelId, string schemaVersion) =>
        new InputHash()
            .Add("attribution_hash", attributionHash)
            .Add("prompt_version", promptVersion)
            .Add("model_id", modelId)
            .Add("schema_version", schemaVersion)
            .Compute();
}
