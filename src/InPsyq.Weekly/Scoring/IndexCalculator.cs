namespace InPsyq.Weekly.Scoring;

public static class IndexCalculator
{
    /// <summary>All four indices, every key present (a not-computed index is <see cref="IndexResult.NotComputed"/>).</summary>
    public static IReadOnlyDictionary<IndexKind, IndexResult> ComputeAll(IReadOnlyDictionary<Factor, FactorStats> factors) =>
        IndexDefinitions.All.ToDictionary(index => index.Kind, index => Compute(index, factors));

    /// <summary>
    /// One index from the team's present factors; absent ones (e.g. below the respondent minimum) are simply missing
    /// from <paramref name="factors"/>.
    /// </summary>
    public static IndexResult Compute(IndexDefinition index, IReadOnlyDictionary<Factor, FactorStats> factors)
    {
        var present = index.Terms
            .Where(term => factors.ContainsKey(term.Factor))
            .Select(term => (Term: term, Stats: factors[term.Factor]))
            .ToList();

        if (present.Count < index.MinimumTermsPresent)
        {
            return IndexResult.NotComputed;
        }

        var value = Descriptive.Mean(present.ConvertAll(used => used.Term.ValueFrom(used.Stats.Mean)));
        var sigma = Descriptive.RootMeanSquare(present.ConvertAll(used => used.Stats.Se));
        return new IndexResult(value, sigma, index.ClassifyState(value));
    }
}
