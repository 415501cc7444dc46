using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Attribution;

/// <summary>
/// The attribution result of one team and week, stored as JSON in Blob container <c>attribution</c> at
/// <c>{org_id}/{week_start}/{team_id}.json</c> and published as <c>schemas/attribution.v1.json</c>.
/// Serialized with <see cref="WeeklyJson.Options"/> (snake_case); keys of the maps are wire names.
/// </summary>
public sealed record AttributionDocument
{
    public required string SchemaVersion { get; init; }
    public required Guid OrgId { get; init; }
    public required Guid TeamId { get; init; }
    public required string WeekStart { get; init; }
    public required string WeekLabel { get; init; }
    public required string ComputeVersion { get; init; }
    public required string InputHash { get; init; }
    public required Guid RunId { get; init; }
    public required IReadOnlyList<string> Flags { get; init; }

    /// <summary>Per factor (wire name): the team mean and its org-relative z.</summary>
    public required IReadOnlyDictionary<string, FactorAttribution> Factors { get; init; }

    /// <summary>Per index (wire name).</summary>
    public required IReadOnlyDictionary<string, IndexAttributionDocument> Indices { get; init; }
}

public sealed record FactorAttribution(double Mean, double? Z);

public sealed record IndexAttributionDocument
{
    public double? Value { get; init; }
    public IndexState? State { get; init; }
    public double? Delta { get; init; }
    public Trend? Trend { get; init; }
    public double? Z { get; init; }
    public required Regime Regime { get; init; }
    public required Stability Stability { get; init; }
    public required IReadOnlyList<InternalDriver> Internal { get; init; }
    public required IReadOnlyList<ExternalDependency> External { get; init; }
    public required AttributionMasses Masses { get; init; }
    public required PrimarySource PrimarySource { get; init; }
    public required PropagationRisk PropagationRisk { get; init; }
}
