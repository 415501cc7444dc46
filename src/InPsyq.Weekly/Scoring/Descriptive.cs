namespace InPsyq.Weekly.Scoring;

/// <summary>Descriptive statistics shared by the stages; callers guarantee a non-empty sample.</summary>
internal static class Descriptive
{
    public static double Mean(IReadOnlyCollection<double> values) => values.Sum() / values.Count;

    /// <summary>Sample (n − 1) standard deviation; 0 for a single value.</summary>
    public static double SampleStandardDeviation(IReadOnlyCollection<double> values) =>
        values.Count == 1 ? 0 : Math.Sqrt(SumOfSquaredDeviations(values) / (values.Count - 1));

    public static double PopulationStandardDeviation(IReadOnlyCollection<double> values) =>
        Math.Sqrt(SumOfSquaredDeviations(values) / values.Count);

    public static double RootMeanSquare(IReadOnlyCollection<double> values) =>
        Math.Sqrt(values.Sum(value => value * value) / values.Count);

    private static double SumOfSquaredDeviations(IReadOnlyCollection<double> values)
    {
        var mean = Mean(values);
        return values.Sum(value => (value - mean) * (value - mean));
    }
}
