using InPsyq.Weekly.Attribution.Computation;

namespace InPsyq.Weekly.UnitTests.Attribution;

public class OrgRelativeScoreTests
{
    [Fact]
    public void Two_teams_are_too_few_for_a_z()
    {
        Assert.Null(OrgRelativeScore.Compute(0.6, [0.2, 0.6]));
    }

    [Fact]
    public void Three_teams_give_a_z_against_the_sample_sd()
    {
        // mean 0.4; sample sd √((0.04 + 0 + 0.04) / 2) = 0.2 → z = (0.6 − 0.4) / 0.2 = 1 (population sd would give 1.2247)
        Assert.Equal(1.0, OrgRelativeScore.Compute(0.6, [0.2, 0.4, 0.6])!.Value, 12);
        Assert.Equal(-1.0, OrgRelativeScore.Compute(0.2, [0.2, 0.4, 0.6])!.Value, 12);
    }

    [Theory]
    [InlineData(0.5, 0.5, 0.5)]
    [InlineData(0.5, 0.5, 0.5000001)] // sd ≈ 5.8e-8 rounds to 0
    public void A_zero_org_sd_after_rounding_gives_no_z(double a, double b, double c)
    {
        Assert.Null(OrgRelativeScore.Compute(a, [a, b, c]));
    }
}
