using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.UnitTests.Scoring;

public class FactorStatisticsTests
{
    [Fact]
    public void A_single_respondent_has_zero_sd_and_se()
    {
        Assert.Equal(new FactorStats(0.5, 0, 1, 0), FactorStatistics.Compute([0.5]));
    }

    [Fact]
    public void Sd_is_the_sample_sd_and_se_divides_it_by_root_n()
    {
        // mean 0.4; squared deviations 0.04 + 0 + 0.04 = 0.08; sample variance 0.08 / 2 = 0.04 → sd 0.2
        // (the population sd would be √(0.08/3) ≈ 0.1633); se = 0.2 / √3 ≈ 0.1154701
        var stats = FactorStatistics.Compute([0.2, 0.4, 0.6]);

        Assert.Equal(0.4, stats.Mean, 12);
        Assert.Equal(0.2, stats.Sd, 12);
        Assert.Equal(3, stats.N);
        Assert.Equal(0.2 / Math.Sqrt(3), stats.Se, 12);
    }

    [Fact]
    public void Two_respondents()
    {
        // mean 0.5; sample variance (0.0625 + 0.0625) / 1 = 0.125; sd = √0.125 ≈ 0.353553; se = sd / √2 = 0.25
        var stats = FactorStatistics.Compute([0.25, 0.75]);

        Assert.Equal(Math.Sqrt(0.125), stats.Sd, 12);
        Assert.Equal(0.25, stats.Se, 12);
    }

    [Fact]
    public void No_respondents_is_a_caller_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FactorStatistics.Compute([]));
    }
}
