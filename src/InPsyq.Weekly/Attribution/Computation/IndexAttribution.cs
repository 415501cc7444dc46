using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Attribution.Computation;

/// <summary>The attribution of one index of one team-week, in the shape of the attribution document.</summary>
/// <param name="Flags">Document-level flags (<see cref="AttributionFlags.NoOrgBaseline"/>).</param>
public sealed record IndexAttribution(
    IReadOnlyList<InternalDriver> Internal,
    IReadOnlyList<ExternalDependency> External,
    AttributionMasses Masses,
    PrimarySource PrimarySource,
    PropagationRisk PropagationRisk,
    IReadOnlyList<string> Flags);

/// <param name="D">Team term − org mean of the term, signed so that a positive value pushes the index toward worse.</param>
/// <param name="Flags">Driver flags (<see cref="AttributionFlags.ConfidenceCapped"/>).</param>
public sealed record InternalDriver(
    string Term,
    Factor Factor,
    bool Inverted,
    double D,
    double Contribution,
    DriverBand Band,
    double Confidence,
    Severity Severity,
    IReadOnlyList<string> Flags);

/// <param name="W">The upstream's delta in the worse direction (always positive for a listed dependency).</param>
/// <param name="Persistent">The upstream worsened over its last 4 non-null deltas, which raised the level by one.</param>
public sealed record ExternalDependency(
    Guid UpstreamTeamId,
    DependencyKind Kind,
    double Weight,
    double W,
    double Impact,
    DependencyLevel Level,
    Controllability Controllability,
    bool Persistent);

public sealed record AttributionMasses(double Internal, double External);
