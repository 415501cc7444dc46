namespace InPsyq.Weekly.Scoring;

/// <summary>The four indices of <c>docs/domain.md</c>, in their canonical order.</summary>
public static class IndexDefinitions
{
    public static IndexDefinition Strain { get; } = new(
        IndexKind.Strain,
        IndexDirection.HigherIsWorse,
        [Term(Factor.EmotionalLoad), Term(Factor.CognitiveDissonance), Term(Factor.AutonomyFriction), InverseTerm(Factor.Control)],
        Normal: 0.35,
        Risk: 0.60,
        Critical: 0.75);

    public static IndexDefinition WithdrawalRisk { get; } = new(
        IndexKind.WithdrawalRisk,
        IndexDirection.HigherIsWorse,
        [Term(Factor.EmotionalLoad), InverseTerm(Factor.Meaning), InverseTerm(Factor.Engagement)],
        Normal: 0.30,
        Risk: 0.55,
        Critical: 0.70);

    public static IndexDefinition TrustGap { get; } = new(
        IndexKind.TrustGap,
        IndexDirection.HigherIsWorse,
        [InverseTerm(Factor.TrustLeadership), InverseTerm(Factor.TrustPeers), InverseTerm(Factor.PsychSafety)],
        Normal: 0.30,
        Risk: 0.50,
        Critical: 0.65);

    public static IndexDefinition Engagement { get; } = new(
        IndexKind.Engagement,
        IndexDirection.HigherIsBetter,
        [Term(Factor.Engagement), Term(Factor.Meaning), Term(Factor.AdaptiveCapacity), Term(Factor.Control)],
        Normal: 0.65,
        Risk: 0.40,
        Critical: 0.25);

    public static IReadOnlyList<IndexDefinition> All { get; } = [Strain, WithdrawalRisk, TrustGap, Engagement];

    public static IndexDefinition For(IndexKind kind) => All.Single(index => index.Kind == kind);

    private static IndexTerm Term(Factor factor) => new(factor, Inverted: false);

    private static IndexTerm InverseTerm(Factor factor) => new(factor, Inverted: true);
}
