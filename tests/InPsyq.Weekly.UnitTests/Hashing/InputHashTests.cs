using System.Globalization;
using InPsyq.Weekly.Hashing;

namespace InPsyq.Weekly.UnitTests.Hashing;

public class InputHashTests
{
    [Fact]
    public void The_hash_is_lowercase_hex_sha256_of_key_value_lines()
    {
        // sha256("a=b\n"), computed independently
        Assert.Equal("77e7ce77c707a8147bb65a710ac1af3fca02c8dd2be36762ec9611d90fb5c041", new InputHash().Add("a", "b").Compute());
    }

    [Fact]
    public void Values_are_formatted_round_trip_and_culture_invariant_whatever_the_current_culture()
    {
        var commaDecimals = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        commaDecimals.NumberFormat.NumberDecimalSeparator = ",";
        var original = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = commaDecimals;
        try
        {
            var hash = new InputHash()
                .Add("x", 0.1)
                .Add("y", 1.0 / 3)
                .Add("team", new Guid("10000000-0000-0000-0000-000000000000"))
                .Add("week", new DateOnly(2025, 1, 6))
                .Compute();

            // sha256("x=0.1\ny=0.3333333333333333\nteam=10000000-0000-0000-0000-000000000000\nweek=2025-01-06\n")
            Assert.Equal("adfee79f93a4521e8fc40afa5489229f10f59944d71330f2cde163e6ab1e8bcd", hash);
        }
        finally
        {
            CultureInfo.CurrentCulture = original;
        }
    }

    [Fact]
    public void Doubles_that_differ_in_the_last_bit_hash_differently()
    {
        Assert.NotEqual(new InputHash().Add("x", 0.3).Compute(), new InputHash().Add("x", 0.1 + 0.2).Compute());
    }

    [Theory]
    [InlineData("a=b", "c")]
    [InlineData("a\nb", "c")]
    [InlineData("a", "line\nbreak")]
    public void Keys_and_values_that_would_make_lines_ambiguous_are_rejected(string key, string value)
    {
        Assert.Throws<ArgumentException>(() => new InputHash().Add(key, value));
    }
}
