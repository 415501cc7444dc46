namespace InPsyq.Weekly.Scoring;

/// <summary>Reference implementation of stage 1's team factor statistics (the SQL rollup is tested against it).</summary>
public static class FactorStatistics
{
    /// <param name="respondentScores">One factor score per respondent (the mean of their standard scores).</param>
    public static FactorStats Compute(IReadOnlyList<double> respondentScores)
    {
        ArgumentOutOfRangeException.ThrowIfZero(respondentScores.Count, nameof(respondentScores));

        var sd = Descriptive.SampleStandardDeviation(respondentScores);
        return new FactorStats(
            Descriptive.Mean(respondentScores),
            sd,
            respondentScores.Count,
            sd / Math.Sqrt(respondentScores.Count));
    }
}
