namespace InPsyq.Weekly.Scoring;

/// <summary>One factor of an index formula, counted as <c>f</c> or, when <see cref="Inverted"/>, as <c>1 − f</c>.</summary>
public readonly record struct IndexTerm(Factor Factor, bool Inverted)
{
    /// <summary>The term's name in documents and for ordering: the factor's wire name, prefixed <c>1-</c> when inverted.</summary>
    public string Name => Inverted ? "1-" + WireName.Of(Factor) : WireName.Of(Factor);

    public double ValueFrom(double factorValue) => Inverted ? 1 - factorValue : factorValue;
}
