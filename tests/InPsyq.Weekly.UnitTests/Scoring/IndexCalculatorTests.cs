using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.UnitTests.Scoring;

public class IndexCalculatorTests
{
    [Fact]
    public void Strain_is_the_mean_of_its_terms_with_control_inverted_and_sigma_the_rms_of_the_se()
    {
        var factors = new Dictionary<Factor, FactorStats>
        {
            [Factor.EmotionalLoad] = Stats(0.5, se: 0.1),
            [Factor.CognitiveDissonance] = Stats(0.4, se: 0.2),
            [Factor.AutonomyFriction] = Stats(0.3, se: 0.2),
            [Factor.Control] = Stats(0.9, se: 0.4),
            [Factor.Meaning] = Stats(0.0, se: 9), // not a strain factor: must not count
        };

        var strain = IndexCalculator.Compute(IndexDefinitions.Strain, factors);

        // terms 0.5, 0.4, 0.3, 1 − 0.9 = 0.1 → mean 1.3 / 4 = 0.325
        Assert.Equal(0.325, strain.Value!.Value, 12);
        // √((0.01 + 0.04 + 0.04 + 0.16) / 4) = √0.0625 = 0.25
        Assert.Equal(0.25, strain.Sigma!.Value, 12);
        Assert.Equal(IndexState.Low, strain.State);
    }

    [Fact]
    public void A_missing_factor_is_left_out_of_both_the_mean_and_sigma()
    {
        var factors = new Dictionary<Factor, FactorStats>
        {
            [Factor.EmotionalLoad] = Stats(0.8, se: 0.3),
            [Factor.Meaning] = Stats(0.2, se: 0.4),
        };

        var withdrawal = IndexCalculator.Compute(IndexDefinitions.WithdrawalRisk, factors);

        // 2 of 3 present (⌈3/2⌉ = 2): terms 0.8 and 1 − 0.2 = 0.8 → 0.8; sigma √((0.09 + 0.16) / 2) = √0.125
        Assert.Equal(0.8, withdrawal.Value!.Value, 12);
        Assert.Equal(Math.Sqrt(0.125), withdrawal.Sigma!.Value, 12);
        Assert.Equal(IndexState.Critical, withdrawal.State);
    }

    [Theory]
    [InlineData(IndexKind.Strain, 2, true)]          // k = 4 needs 2
    [InlineData(IndexKind.Strain, 1, false)]
    [InlineData(IndexKind.WithdrawalRisk, 2, true)]  // k = 3 needs ⌈1.5⌉ = 2
    [InlineData(IndexKind.WithdrawalRisk, 1, false)]
    [InlineData(IndexKind.TrustGap, 2, true)]
    [InlineData(IndexKind.TrustGap, 1, false)]
    [InlineData(IndexKind.Engagement, 2, true)]
    [InlineData(IndexKind.Engagement, 1, false)]
    public void An_index_needs_at_least_half_its_factors_rounded_up(IndexKind kind, int presentFactors, bool computed)
    {
        var index = IndexDefinitions.For(kind);
        var factors = index.Terms.Take(presentFactors).ToDictionary(term => term.Factor, _ => Stats(0.5, se: 0.1));

        var result = IndexCalculator.Compute(index, factors);

        Assert.Equal(computed, result.Value.HasValue);
        Assert.Equal(computed, result.Sigma.HasValue);
        Assert.Equal(computed, result.State.HasValue);
    }

    [Fact]
    public void Compute_all_keeps_every_index_key_and_inverts_trust_gap_terms()
    {
        var factors = new Dictionary<Factor, FactorStats>
        {
            [Factor.TrustLeadership] = Stats(0.9, se: 0),
            [Factor.TrustPeers] = Stats(0.8, se: 0),
            [Factor.PsychSafety] = Stats(0.7, se: 0),
        };

        var indices = IndexCalculator.ComputeAll(factors);

        Assert.Equal([IndexKind.Strain, IndexKind.WithdrawalRisk, IndexKind.TrustGap, IndexKind.Engagement], indices.Keys);
        // 1 − 0.9, 1 − 0.8, 1 − 0.7 → mean 0.2, between 0.15 and 0.30 → low
        Assert.Equal(0.2, indices[IndexKind.TrustGap].Value!.Value, 12);
        Assert.Equal(IndexState.Low, indices[IndexKind.TrustGap].State);
        Assert.Same(IndexResult.NotComputed, indices[IndexKind.Strain]);
        Assert.Same(IndexResult.NotComputed, indices[IndexKind.Engagement]);
    }

    private static FactorStats Stats(double mean, double se) => new(mean, Sd: se, N: 5, se);
}
