using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.UnitTests.Attribution;

public class SeriesCalculatorTests
{
    [Fact]
    public void Deltas_compare_with_the_previous_non_null_point_and_trend_uses_rounded_deltas()
    {
        double?[] values = [null, 0.50, 0.55, null, 0.53, 0.60, 0.60, 0.57, 0.571, 0.55, 0.52, 0.50];

        var series = SeriesCalculator.Compute(IndexDefinitions.Strain, values);

        Assert.Equal(values, series.Points.Select(point => point.Value));
        double?[] expectedDeltas = [null, null, 0.05, null, -0.02, 0.07, 0.0, -0.03, 0.001, -0.021, -0.03, -0.02];
        Assert.All(
            expectedDeltas.Zip(series.Points),
            pair => Assert.Equal(pair.First, pair.Second.Delta.HasValue ? Math.Round(pair.Second.Delta.Value, 9) : null));
        Trend?[] expectedTrends =
        [
            null, null, Trend.Up, null,
            Trend.Stable, // 0.53 − 0.55 = −0.020000000000000018 in binary, yet STABLE
            Trend.Up, Trend.Stable, Trend.Down, Trend.Stable, Trend.Down, Trend.Down,
            Trend.Stable, // 0.50 − 0.52, the same residue
        ];
        Assert.Equal(expectedTrends, series.Points.Select(point => point.Trend));
        Assert.Equal(10, series.CoverageWeeks);
    }

    [Fact]
    public void The_exactly_minus_two_hundredths_delta_is_not_exact_in_binary()
    {
        Assert.NotEqual(-0.02, 0.53 - 0.55);
        Assert.Equal(Trend.Stable, Compute(0.55, 0.53).ThisWeek.Trend);
        Assert.Equal(Trend.Stable, Compute(0.55, 0.57).ThisWeek.Trend); // +0.02 from the other side
        Assert.Equal(Trend.Down, Compute(0.55, 0.529999).ThisWeek.Trend);
        Assert.Equal(Trend.Up, Compute(0.55, 0.570001).ThisWeek.Trend);
    }

    [Fact]
    public void Volatility_is_the_population_sd_of_the_last_four_non_null_values()
    {
        // last four non-null: 0.4, 0.6, 0.4, 0.6 → mean 0.5, population sd 0.1 (sample sd would be 0.1155);
        // the older 0.9 values must not count
        var series = Compute(0.9, 0.9, 0.9, 0.9, 0.4, null, 0.6, 0.4, null, 0.6);

        Assert.Equal(0.1, series.Volatility, 12);
    }

    [Theory]
    [InlineData(new[] { 0.5 }, 0.0)]
    [InlineData(new[] { 0.3, 0.5 }, 0.1)] // mean 0.4, population sd 0.1
    public void Volatility_needs_two_values(double[] values, double expected)
    {
        Assert.Equal(expected, Compute(values.Cast<double?>().ToArray()).Volatility, 12);
    }

    [Fact]
    public void Fewer_than_three_points_are_noise_even_beyond_risk()
    {
        // 0.70 and 0.90 are both beyond strain's risk 0.60, which would otherwise be PERSISTENT
        Assert.Equal(Regime.Noise, Compute(0.70, 0.90).Regime);
    }

    [Fact]
    public void A_flat_quiet_series_is_noise_even_beyond_risk()
    {
        // vol 0 < 0.05 and |delta| 0 < 0.02 is tested before "last two values beyond risk"
        Assert.Equal(Regime.Noise, Compute(0.70, 0.70, 0.70, 0.70).Regime);
    }

    [Fact]
    public void Four_worsening_deltas_are_persistent_before_emerging_is_considered()
    {
        // deltas …, 0.02, 0.03, 0.04, 0.05; last-four vol = 0.045 < 0.05 but |delta| 0.05 ≥ 0.02
        var series = Compute(0.30, 0.30, 0.31, 0.33, 0.36, 0.40, 0.45);

        Assert.Equal(Regime.Persistent, series.Regime);
        Assert.True(series.IsPersistentlyWorsening);
    }

    [Fact]
    public void Four_improving_deltas_are_persistent_too_but_not_worsening()
    {
        var series = Compute(0.50, 0.49, 0.46, 0.42, 0.37, 0.31);

        Assert.Equal(Regime.Persistent, series.Regime);
        Assert.False(series.IsPersistentlyWorsening);
    }

    [Fact]
    public void For_engagement_falling_values_are_the_worsening_ones()
    {
        var falling = SeriesCalculator.Compute(IndexDefinitions.Engagement, Padded(0.50, 0.49, 0.46, 0.42, 0.37, 0.31));
        var rising = SeriesCalculator.Compute(IndexDefinitions.Engagement, Padded(0.30, 0.31, 0.33, 0.36, 0.40, 0.45));

        Assert.True(falling.IsPersistentlyWorsening);
        Assert.False(rising.IsPersistentlyWorsening);
        Assert.Equal(Regime.Persistent, rising.Regime);
    }

    [Fact]
    public void A_zero_delta_after_rounding_breaks_the_streak()
    {
        // deltas 0.02, 0.0000004 (rounds to 0), 0.0699996, 0.05 → not four of one sign;
        // the last two are up and |0.05| ≥ 0.03 → EMERGING
        var series = Compute(0.30, 0.31, 0.33, 0.3300004, 0.40, 0.45);

        Assert.Equal(Regime.Emerging, series.Regime);
        Assert.False(series.IsPersistentlyWorsening);
    }

    [Theory]
    [InlineData(0.60, Regime.Persistent)] // 0.60 and 0.64 both at or beyond risk 0.60
    [InlineData(0.59, Regime.Noise)]      // deltas 0.05, 0.07, −0.03, 0.05: no streak, signs differ
    public void The_last_two_values_at_or_beyond_risk_are_persistent(double secondToLast, Regime expected)
    {
        Assert.Equal(expected, Compute(0.50, 0.55, 0.62, secondToLast, 0.64).Regime);
    }

    [Theory]
    [InlineData(0.40, Regime.Persistent)] // engagement: 0.40 and 0.36 both ≤ risk 0.40
    [InlineData(0.41, Regime.Noise)]
    public void For_engagement_at_or_beyond_risk_means_at_or_below(double secondToLast, Regime expected)
    {
        // deltas −0.10, −0.12, +0.02/+0.03, −0.04: no streak, last two of different signs
        var series = SeriesCalculator.Compute(IndexDefinitions.Engagement, Padded(0.60, 0.50, 0.38, secondToLast, 0.36));

        Assert.Equal(expected, series.Regime);
    }

    [Theory]
    [InlineData(0.35, Regime.Emerging)] // 0.35 − 0.32 = 0.029999999999999971 in binary, rounds to 0.03
    [InlineData(0.349, Regime.Noise)]   // 0.029 < 0.03
    public void Two_deltas_of_one_sign_with_a_large_enough_last_one_are_emerging(double last, Regime expected)
    {
        // deltas …, 0, −0.01, 0.03, 0.03: the streak is broken, values below risk
        Assert.Equal(expected, Compute(0.30, 0.30, 0.29, 0.32, last).Regime);
    }

    [Fact]
    public void Alternating_moves_below_risk_are_noise()
    {
        // deltas 0.05, −0.05, 0.05: vol 0.025 < 0.05 but |delta| 0.05 ≥ 0.02, no streak, signs differ
        Assert.Equal(Regime.Noise, Compute(0.30, 0.35, 0.30, 0.35).Regime);
    }

    [Theory]
    [InlineData(0, 0.0, Stability.High)]
    [InlineData(1, 0.0, Stability.High)]  // missing 1/12 ≈ 0.083 < 0.1
    [InlineData(2, 0.0, Stability.Med)]   // missing 2/12 ≈ 0.167
    [InlineData(3, 0.0, Stability.Med)]   // missing 0.25
    [InlineData(4, 0.0, Stability.Low)]   // missing 0.333 ≥ 0.3
    [InlineData(0, 0.05, Stability.High)] // vol 0.05 ≤ 0.05
    [InlineData(0, 0.10, Stability.Med)]
    [InlineData(0, 0.15, Stability.Low)]  // vol ≥ 0.15
    public void Stability_from_missing_share_and_volatility(int missingWeeks, double swing, Stability expected)
    {
        // values alternate 0.5 ± swing so the last four have population sd = swing
        var values = Enumerable.Range(0, SeriesCalculator.WindowWeeks)
            .Select(week => week < missingWeeks ? (double?)null : 0.5 + (week % 2 == 0 ? -swing : swing))
            .ToArray();

        var series = SeriesCalculator.Compute(IndexDefinitions.Strain, values);

        Assert.Equal(swing, series.Volatility, 9);
        Assert.Equal(SeriesCalculator.WindowWeeks - missingWeeks, series.CoverageWeeks);
        Assert.Equal(expected, series.Stability);
    }

    [Fact]
    public void A_series_has_exactly_twelve_weeks()
    {
        Assert.Throws<ArgumentException>(() => SeriesCalculator.Compute(IndexDefinitions.Strain, new double?[11]));
    }

    /// <summary>Strain series whose last weeks are <paramref name="recent"/>, preceded by empty weeks.</summary>
    private static SeriesResult Compute(params double?[] recent) => SeriesCalculator.Compute(IndexDefinitions.Strain, Padded(recent));

    private static double?[] Padded(params double?[] recent) =>
        [.. Enumerable.Repeat<double?>(null, SeriesCalculator.WindowWeeks - recent.Length), .. recent];
}
