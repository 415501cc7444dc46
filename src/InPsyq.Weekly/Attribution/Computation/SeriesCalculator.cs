using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Attribution.Computation;

public static class SeriesCalculator
{
    public const int WindowWeeks = 12;

    private const int RecentCount = 4;
    private const double TrendThreshold = 0.02;

    /// <summary>
    /// The series of one index from its <see cref="WindowWeeks"/> weekly values, oldest first, the week being
    /// computed last. Stage 2 only computes series for a team with a value this week; should the last value be
    /// null anyway, "this week's delta" counts as no movement.
    /// </summary>
    public static SeriesResult Compute(IndexDefinition index, IReadOnlyList<double?> values)
    {
        if (values.Count != WindowWeeks)
        {
            throw new ArgumentException($"A series has exactly {WindowWeeks} weekly values.", nameof(values));
        }

        var points = ToPoints(values);
        var present = values.OfType<double>().ToList();
        var deltas = points.Select(point => point.Delta).OfType<double>().ToList();
        var volatility = present.Count < 2 ? 0 : Descriptive.PopulationStandardDeviation(present.TakeLast(RecentCount).ToList());
        var thisWeekDelta = points[^1].Delta ?? 0;

        return new SeriesResult(
            points,
            volatility,
            ClassifyRegime(index, present, deltas, volatility, thisWeekDelta),
            present.Count,
            ClassifyStability(present.Count, volatility),
            IsPersistentlyWorsening: deltas.Count >= RecentCount
                && deltas.TakeLast(RecentCount).All(delta => Threshold.IsAbove(index.Worsening(delta), 0)));
    }

    private static List<SeriesPoint> ToPoints(IReadOnlyList<double?> values)
    {
        var points = new List<SeriesPoint>(values.Count);
        double? previous = null;
        foreach (var value in values)
        {
            double? delta = value - previous;
            points.Add(new SeriesPoint(value, delta, delta is { } change ? ClassifyTrend(change) : null));
            previous = value ?? previous;
        }

        return points;
    }

    private static Trend ClassifyTrend(double delta) =>
        Threshold.IsAbove(delta, TrendThreshold) ? Trend.Up
        : Threshold.IsBelow(delta, -TrendThreshold) ? Trend.Down
        : Trend.Stable;

    // The rules are tried in the order of docs/domain.md; the first that matches decides.
    private static Regime ClassifyRegime(
        IndexDefinition index,
        List<double> present,
        List<double> deltas,
        double volatility,
        double thisWeekDelta)
    {
        if (present.Count < 3)
        {
            return Regime.Noise;
        }

        if (Threshold.IsBelow(volatility, 0.05) && Threshold.IsBelow(Math.Abs(thisWeekDelta), TrendThreshold))
        {
            return Regime.Noise;
        }

        if (deltas.Count >= RecentCount && MovedOneWay(deltas.TakeLast(RecentCount)))
        {
            return Regime.Persistent;
        }

        if (present.TakeLast(2).All(index.IsAtOrBeyondRisk))
        {
            return Regime.Persistent;
        }

        if (MovedOneWay(deltas.TakeLast(2)) && Threshold.IsAtLeast(Math.Abs(thisWeekDelta), 0.03))
        {
            return Regime.Emerging;
        }

        return Regime.Noise;
    }

    /// <summary>All deltas up, or all down; a zero (after rounding) breaks the streak.</summary>
    private static bool MovedOneWay(IEnumerable<double> deltas)
    {
        var signs = deltas.Select(Threshold.Sign).ToList();
        return signs[0] != 0 && signs.TrueForAll(sign => sign == signs[0]);
    }

    private static Stability ClassifyStability(int coverageWeeks, double volatility)
    {
        var missingShare = (double)(WindowWeeks - coverageWeeks) / WindowWeeks;

        return Threshold.IsAtLeast(missingShare, 0.3) || Threshold.IsAtLeast(volatility, 0.15) ? Stability.Low
            : Threshold.IsAtMost(volatility, 0.05) && Threshold.IsBelow(missingShare, 0.1) ? Stability.High
            : Stability.Med;
    }
}
