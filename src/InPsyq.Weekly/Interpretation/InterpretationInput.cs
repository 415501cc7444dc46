using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Interpretation;

/// <summary>
/// What stage 3 knows about one team-week: indices with state and delta, the series regime, the attribution and
/// the data quality. It is the LLM's user message as JSON, so it carries the allowed labels and the focus maximum.
/// </summary>
public sealed record InterpretationInput
{
    public required string WeekLabel { get; init; }

    /// <summary>The team regime: strain's.</summary>
    public required Regime TeamRegime { get; init; }

    public required IReadOnlyList<IndexReading> Indices { get; init; }

    /// <summary>Internal drivers of every index, labelled by factor.</summary>
    public required IReadOnlyList<DriverReading> Drivers { get; init; }

    /// <summary>External dependencies of every index, labelled by upstream team.</summary>
    public required IReadOnlyList<DependencyReading> Dependencies { get; init; }

    public required DataQuality DataQuality { get; init; }

    /// <summary>Document flags of the attribution, e.g. <c>NO_ORG_BASELINE</c>.</summary>
    public required IReadOnlyList<string> Flags { get; init; }

    public IReadOnlyList<string> InternalLabels => [.. Drivers.Select(driver => driver.Label).Distinct().Order(StringComparer.Ordinal)];

    public IReadOnlyList<string> ExternalLabels => [.. Dependencies.Select(dependency => dependency.Label).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// The most <c>recommended_focus</c> items allowed: 1 when monitoring is enough (every index minimal or low, no
    /// driver above C0, no dependency), 3 when nothing is above C1/D1, else 5. An index without a value shows no concern.
    /// </summary>
    public int MaxRecommendedFocus
    {
        get
        {
            var monitorOnly = Indices.All(index => index.State is null or IndexState.Minimal or IndexState.Low)
                && Drivers.All(driver => driver.Severity == Severity.C0)
                && Dependencies.Count == 0;
            if (monitorOnly)
            {
                return 1;
            }

            return Drivers.All(driver => driver.Severity <= Severity.C1) && Dependencies.All(dependency => dependency.Level == DependencyLevel.D1) ? 3 : 5;
        }
    }
}

public sealed record IndexReading(
    IndexKind Index,
    double? Value,
    IndexState? State,
    double? Delta,
    Trend? Trend,
    Regime Regime,
    Stability Stability,
    PrimarySource PrimarySource,
    PropagationRisk PropagationRisk);

/// <param name="Label">The factor's wire name, e.g. <c>emotional_load</c>.</param>
public sealed record DriverReading(string Label, IndexKind Index, bool Inverted, double Contribution, DriverBand Band, Severity Severity, double Confidence);

/// <param name="Label">The upstream team's name (made unique within the org).</param>
public sealed record DependencyReading(
    string Label, IndexKind Index, DependencyKind Kind, double Impact, DependencyLevel Level, Controllability Controllability, bool Persistent);

/// <param name="SuppressedWeeks">Suppressed weeks of the team in the 12-week series window.</param>
public sealed record DataQuality(int Respondents, int CoverageWeeks, Stability Stability, int SuppressedWeeks);
