using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.UnitTests.Scoring;

public class IndexStateTests
{
    [Theory]
    // strain: critical 0.75, risk 0.60, elevated from (0.60 + 0.35) / 2 = 0.475, normal 0.35, low from 0.35 / 2 = 0.175
    [InlineData(IndexKind.Strain, 1.0, IndexState.Critical)]
    [InlineData(IndexKind.Strain, 0.75, IndexState.Critical)]
    [InlineData(IndexKind.Strain, 0.749999, IndexState.High)]
    [InlineData(IndexKind.Strain, 0.60, IndexState.High)]
    [InlineData(IndexKind.Strain, 0.599999, IndexState.Elevated)]
    [InlineData(IndexKind.Strain, 0.475, IndexState.Elevated)]
    [InlineData(IndexKind.Strain, 0.4749996, IndexState.Elevated)] // rounds to 0.475
    [InlineData(IndexKind.Strain, 0.474999, IndexState.Moderate)]
    [InlineData(IndexKind.Strain, 0.35, IndexState.Moderate)]
    [InlineData(IndexKind.Strain, 0.349999, IndexState.Low)]
    [InlineData(IndexKind.Strain, 0.175, IndexState.Low)]
    [InlineData(IndexKind.Strain, 0.174999, IndexState.Minimal)]
    [InlineData(IndexKind.Strain, 0.0, IndexState.Minimal)]
    // withdrawal_risk: 0.70 / 0.55 / (0.55 + 0.30) / 2 = 0.425 / 0.30 / 0.15
    [InlineData(IndexKind.WithdrawalRisk, 0.70, IndexState.Critical)]
    [InlineData(IndexKind.WithdrawalRisk, 0.699999, IndexState.High)]
    [InlineData(IndexKind.WithdrawalRisk, 0.55, IndexState.High)]
    [InlineData(IndexKind.WithdrawalRisk, 0.549999, IndexState.Elevated)]
    [InlineData(IndexKind.WithdrawalRisk, 0.425, IndexState.Elevated)]
    [InlineData(IndexKind.WithdrawalRisk, 0.424999, IndexState.Moderate)]
    [InlineData(IndexKind.WithdrawalRisk, 0.30, IndexState.Moderate)]
    [InlineData(IndexKind.WithdrawalRisk, 0.299999, IndexState.Low)]
    [InlineData(IndexKind.WithdrawalRisk, 0.15, IndexState.Low)]
    [InlineData(IndexKind.WithdrawalRisk, 0.149999, IndexState.Minimal)]
    // trust_gap: 0.65 / 0.50 / (0.50 + 0.30) / 2 = 0.40 / 0.30 / 0.15
    [InlineData(IndexKind.TrustGap, 0.65, IndexState.Critical)]
    [InlineData(IndexKind.TrustGap, 0.649999, IndexState.High)]
    [InlineData(IndexKind.TrustGap, 0.50, IndexState.High)]
    [InlineData(IndexKind.TrustGap, 0.499999, IndexState.Elevated)]
    [InlineData(IndexKind.TrustGap, 0.40, IndexState.Elevated)]
    [InlineData(IndexKind.TrustGap, 0.399999, IndexState.Moderate)]
    [InlineData(IndexKind.TrustGap, 0.30, IndexState.Moderate)]
    [InlineData(IndexKind.TrustGap, 0.299999, IndexState.Low)]
    [InlineData(IndexKind.TrustGap, 0.15, IndexState.Low)]
    [InlineData(IndexKind.TrustGap, 0.149999, IndexState.Minimal)]
    // engagement (higher is better): ≤ 0.25 / ≤ 0.40 / ≤ (0.40 + 0.65) / 2 = 0.525 / ≤ 0.65 / ≤ (0.65 + 1) / 2 = 0.825
    [InlineData(IndexKind.Engagement, 0.0, IndexState.Critical)]
    [InlineData(IndexKind.Engagement, 0.25, IndexState.Critical)]
    [InlineData(IndexKind.Engagement, 0.250001, IndexState.High)]
    [InlineData(IndexKind.Engagement, 0.40, IndexState.High)]
    [InlineData(IndexKind.Engagement, 0.400001, IndexState.Elevated)]
    [InlineData(IndexKind.Engagement, 0.525, IndexState.Elevated)]
    [InlineData(IndexKind.Engagement, 0.525001, IndexState.Moderate)]
    [InlineData(IndexKind.Engagement, 0.65, IndexState.Moderate)]
    [InlineData(IndexKind.Engagement, 0.650001, IndexState.Low)]
    [InlineData(IndexKind.Engagement, 0.825, IndexState.Low)]
    [InlineData(IndexKind.Engagement, 0.8250004, IndexState.Low)] // rounds to 0.825
    [InlineData(IndexKind.Engagement, 0.825001, IndexState.Minimal)]
    [InlineData(IndexKind.Engagement, 1.0, IndexState.Minimal)]
    public void State_boundaries(IndexKind kind, double value, IndexState expected)
    {
        Assert.Equal(expected, IndexDefinitions.For(kind).ClassifyState(value));
    }
}
