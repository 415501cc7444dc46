namespace InPsyq.Weekly.Attribution.Computation;

/// <summary>One week of a series; <see cref="Value"/> is null for a week without a (non-suppressed) aggregate.</summary>
public sealed record SeriesPoint(double? Value, double? Delta, Trend? Trend);

/// <summary>An index's 12-week series ending at the week being computed (the last point).</summary>
public sealed record SeriesResult(
    IReadOnlyList<SeriesPoint> Points,
    double Volatility,
    Regime Regime,
    int CoverageWeeks,
    Stability Stability,
    bool IsPersistentlyWorsening)
{
    public SeriesPoint ThisWeek => Points[^1];
}
