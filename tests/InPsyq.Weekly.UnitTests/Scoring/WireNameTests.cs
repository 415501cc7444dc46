using System.Text.Json;
using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.UnitTests.Scoring;

public class WireNameTests
{
    [Theory]
    [InlineData(Factor.EmotionalLoad, "emotional_load")]
    [InlineData(Factor.CognitiveDissonance, "cognitive_dissonance")]
    [InlineData(Factor.Meaning, "meaning")]
    [InlineData(Factor.TrustLeadership, "trust_leadership")]
    [InlineData(Factor.TrustPeers, "trust_peers")]
    [InlineData(Factor.PsychSafety, "psych_safety")]
    [InlineData(Factor.Control, "control")]
    [InlineData(Factor.AutonomyFriction, "autonomy_friction")]
    [InlineData(Factor.Engagement, "engagement")]
    [InlineData(Factor.AdaptiveCapacity, "adaptive_capacity")]
    public void Factor_round_trips_through_its_wire_name_and_json(Factor factor, string wireName)
    {
        Assert.Equal(wireName, WireName.Of(factor));
        Assert.Equal(factor, WireName.Parse<Factor>(wireName));
        Assert.Equal($"\"{wireName}\"", JsonSerializer.Serialize(factor));
    }

    [Theory]
    [InlineData(IndexKind.Strain, "strain")]
    [InlineData(IndexKind.WithdrawalRisk, "withdrawal_risk")]
    [InlineData(IndexKind.TrustGap, "trust_gap")]
    [InlineData(IndexKind.Engagement, "engagement")]
    public void Index_kind_round_trips_through_its_wire_name(IndexKind kind, string wireName)
    {
        Assert.Equal(wireName, WireName.Of(kind));
        Assert.Equal(kind, WireName.Parse<IndexKind>(wireName));
    }

    [Theory]
    [InlineData("Meaning")]
    [InlineData(" meaning")]
    [InlineData("wellbeing")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_but_an_exact_wire_name_is_not_a_factor(string? text)
    {
        Assert.False(WireName.TryParse<Factor>(text, out _));
    }

    [Fact]
    public void Parsing_an_unknown_name_throws_a_format_exception()
    {
        Assert.Throws<FormatException>(() => WireName.Parse<Factor>("wellbeing"));
    }
}
