namespace InPsyq.Weekly.Scoring;

/// <summary>
/// An index: the mean of its factor terms, read against three thresholds. For a higher-is-worse index
/// <see cref="Normal"/> is the upper bound of normal and <see cref="Risk"/> ≤ <see cref="Critical"/>;
/// for a higher-is-better index all three comparisons are mirrored.
/// </summary>
public sealed record IndexDefinition(
    IndexKind Kind,
    IndexDirection Direction,
    IReadOnlyList<IndexTerm> Terms,
    double Normal,
    double Risk,
    double Critical)
{
    /// <summary>⌈k/2⌉ of the k terms must be present for the index to be computed.</summary>
    public int MinimumTermsPresent => (Terms.Count + 1) / 2;

    /// <summary>The change expressed so that a positive result always means "toward worse".</summary>
    public double Worsening(double change) => Direction == IndexDirection.HigherIsWorse ? change : -change;

    public bool IsAtOrBeyondRisk(double value) => IsAtOrBeyond(value, Risk);

    public IndexState ClassifyState(double value)
    {
        // "low" ends halfway between normal and the good end of the scale: normal/2 or (normal+1)/2.
        var goodEnd = Direction == IndexDirection.HigherIsWorse ? 0.0 : 1.0;

        return IsAtOrBeyond(value, Critical) ? IndexState.Critical
            : IsAtOrBeyond(value, Risk) ? IndexState.High
            : IsAtOrBeyond(value, (Risk + Normal) / 2) ? IndexState.Elevated
            : IsAtOrBeyond(value, Normal) ? IndexState.Moderate
            : IsAtOrBeyond(value, (Normal + goodEnd) / 2) ? IndexState.Low
            : IndexState.Minimal;
    }

    private bool IsAtOrBeyond(double value, double threshold) => Direction == IndexDirection.HigherIsWorse
        ? Threshold.IsAtLeast(value, threshold)
        : Threshold.IsAtMost(value, threshold);
}
