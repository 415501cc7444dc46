using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.UnitTests.Scoring;

public class ThresholdTests
{
    [Theory]
    [InlineData(0.1234564, 0.123456)]
    [InlineData(0.1234566, 0.123457)]
    [InlineData(0.0000015, 0.000002)]
    [InlineData(-0.0000015, -0.000002)]
    [InlineData(-0.020000000000000018, -0.02)]
    public void Round6_rounds_to_six_decimals_half_away_from_zero(double value, double expected)
    {
        Assert.Equal(expected, Threshold.Round6(value));
    }

    [Fact]
    public void A_subtraction_residue_lands_on_the_threshold()
    {
        var delta = 0.53 - 0.55;
        Assert.True(delta < -0.02, "precondition: in binary the delta is slightly below −0.02");

        Assert.False(Threshold.IsBelow(delta, -0.02));
        Assert.True(Threshold.IsAtMost(delta, -0.02));
        Assert.True(Threshold.IsAtLeast(delta, -0.02));
        Assert.False(Threshold.IsAbove(delta, -0.02));
    }

    [Fact]
    public void Computed_thresholds_are_rounded_too()
    {
        var elevatedBoundary = (0.60 + 0.35) / 2;

        Assert.True(Threshold.IsAtLeast(0.475, elevatedBoundary));
        Assert.True(Threshold.IsAtMost(0.475, elevatedBoundary));
    }

    [Theory]
    [InlineData(0.0000004, 0)]
    [InlineData(-0.0000004, 0)]
    [InlineData(0.000001, 1)]
    [InlineData(-0.03, -1)]
    public void Sign_ignores_residues_below_six_decimals(double value, int expected)
    {
        Assert.Equal(expected, Threshold.Sign(value));
    }
}
