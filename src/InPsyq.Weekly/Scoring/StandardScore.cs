namespace InPsyq.Weekly.Scoring;

/// <summary>
/// Reference implementation of stage 1's standard score: the percent of maximum possible, so that items of
/// different scales are comparable. The SQL rollup is tested against it.
/// </summary>
public static class StandardScore
{
    public static StandardScoreResult Compute(
        string itemId,
        double? value,
        double scaleMin,
        double scaleMax,
        ItemDirection direction)
    {
        // Written as negated comparisons so that NaN bounds or values are rejected too.
        if (!(scaleMax > scaleMin))
        {
            return StandardScoreResult.Invalid(MeasurementError.InvalidItem(itemId));
        }

        if (value is not { } answer || !(answer >= scaleMin && answer <= scaleMax))
        {
            return StandardScoreResult.Invalid(MeasurementError.InvalidValue(itemId));
        }

        var score = (answer - scaleMin) / (scaleMax - scaleMin);
        return StandardScoreResult.Valid(direction == ItemDirection.HigherIsLess ? 1 - score : score);
    }
}
