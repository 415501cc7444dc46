using InPsyq.Weekly.Hashing;

namespace InPsyq.Weekly.UnitTests.Hashing;

public class OrgWeekDigestTests
{
    private static readonly Guid Low = new("10000000-0000-0000-0000-000000000000");
    private static readonly Guid High = new("80000000-0000-0000-0000-000000000000");

    [Fact]
    public void The_digest_hashes_team_lines_sorted_by_team_id_whatever_the_input_order()
    {
        // sha256("10000000-0000-0000-0000-000000000000:h1\n80000000-0000-0000-0000-000000000000:h2\n")
        const string expected = "c1d0d81933aaad7d47ad3c9644ce903559bfa30ada3a996553e4e00c120a3492";

        Assert.Equal(expected, OrgWeekDigest.Compute([(Low, "h1"), (High, "h2")]));
        Assert.Equal(expected, OrgWeekDigest.Compute([(High, "h2"), (Low, "h1")]));
    }

    [Fact]
    public void A_changed_team_hash_changes_the_digest()
    {
        Assert.NotEqual(OrgWeekDigest.Compute([(Low, "h1"), (High, "h2")]), OrgWeekDigest.Compute([(Low, "h1"), (High, "h3")]));
    }

    [Fact]
    public void A_team_cannot_appear_twice()
    {
        Assert.Throws<ArgumentException>(() => OrgWeekDigest.Compute([(Low, "h1"), (Low, "h2")]));
    }
}
