using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Attribution.Computation;

/// <summary>
/// Everything the attribution of one team, week and index depends on.
/// </summary>
/// <param name="TeamFactorMeans">The team's present factor means this week.</param>
/// <param name="OrgFactorMeans">
/// Unweighted mean over the baseline teams of each factor's mean. A term's org mean is derived from it
/// (the mean of <c>1 − f</c> is <c>1 − mean(f)</c>).
/// </param>
/// <param name="BaselineTeamCount">Org teams with a value this week, the team itself included.</param>
/// <param name="Respondents">The team's distinct respondents this week.</param>
/// <param name="PreviousFactorMeans">The team's factor means of its previous week with data; null when there is none.</param>
/// <param name="Series">The team's series of this index, for its delta and volatility.</param>
/// <param name="Upstreams">Eligible upstream teams (valid edge, value this week) with their delta of this index.</param>
public sealed record AttributionInput(
    IndexDefinition Index,
    IReadOnlyDictionary<Factor, double> TeamFactorMeans,
    IReadOnlyDictionary<Factor, double> OrgFactorMeans,
    int BaselineTeamCount,
    int Respondents,
    IReadOnlyDictionary<Factor, double>? PreviousFactorMeans,
    SeriesResult Series,
    IReadOnlyList<UpstreamSignal> Upstreams);

/// <param name="Delta">The upstream's delta of the same index this week; null when it has no earlier value.</param>
/// <param name="IsPersistentlyWorsening">Its last 4 non-null deltas all worsened (<see cref="SeriesResult.IsPersistentlyWorsening"/>).</param>
public sealed record UpstreamSignal(
    Guid UpstreamTeamId,
    DependencyKind Kind,
    double Weight,
    double? Delta,
    bool IsPersistentlyWorsening);
