namespace InPsyq.Weekly.Scoring;

/// <summary>An index of one team-week; all three values are null when too few of its factors are present.</summary>
public sealed record IndexResult(double? Value, double? Sigma, IndexState? State)
{
    public static IndexResult NotComputed { get; } = new(null, null, null);
}
