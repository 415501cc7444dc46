using InPsyq.Weekly.Jobs;
using NSubstitute;

namespace InPsyq.Weekly.UnitTests.Jobs;

public sealed class RetryPolicyTests
{
    private static readonly RetryPolicy s_policy = new(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(3), Jitter: 0.2);

    [Fact]
    public void Backoff_doubles_from_the_base_delay_and_is_capped()
    {
        Assert.Equal(
            [1, 2, 3, 3],
            Enumerable.Range(1, 4).Select(attempt => s_policy.BackoffAfter(attempt).TotalSeconds));
    }

    [Theory]
    [InlineData(0.0, 0.8)]
    [InlineData(0.5, 1.0)]
    [InlineData(0.75, 1.1)]
    public void Jitter_scales_the_delay_within_the_band_from_the_injected_random_source(double unit, double factor)
    {
        var random = Substitute.For<IJitterSource>();
        random.NextUnit().Returns(unit);

        Assert.Equal(factor, s_policy.DelayAfter(1, random).TotalSeconds, precision: 9);
        Assert.Equal(2 * factor, s_policy.DelayAfter(2, random).TotalSeconds, precision: 9);
    }

    [Fact]
    public void Jitter_never_exceeds_the_maximum_delay()
    {
        var random = Substitute.For<IJitterSource>();
        random.NextUnit().Returns(0.999_999);

        Assert.Equal(3, s_policy.DelayAfter(3, random).TotalSeconds, precision: 9);
    }

    [Fact]
    public void Every_delay_from_the_real_random_source_stays_within_plus_or_minus_the_jitter()
    {
        var random = new SharedRandomJitterSource();

        var delays = Enumerable.Range(0, 1000).Select(_ => s_policy.DelayAfter(1, random).TotalSeconds).ToList();

        Assert.All(delays, delay => Assert.InRange(delay, 0.8, 1.2));
        Assert.True(delays.Distinct().Count() > 1);
    }
}
