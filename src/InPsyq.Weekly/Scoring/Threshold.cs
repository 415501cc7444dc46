namespace InPsyq.Weekly.Scoring;

/// <summary>
/// Every threshold comparison of the pipeline (states, trend, regime, stability, bands, levels, masses, policy)
/// goes through these helpers. Both sides are rounded to 6 decimals, half away from zero, so a value that
/// differs from a threshold only by binary representation error (e.g. 0.53 − 0.55 against −0.02) lands on it.
/// </summary>
public static class Threshold
{
    public static double Round6(double value) => Math.Round(value, 6, MidpointRounding.AwayFromZero);

    public static bool IsAtLeast(double value, double threshold) => Round6(value) >= Round6(threshold);

    public static bool IsAbove(double value, double threshold) => Round6(value) > Round6(threshold);

    public static bool IsAtMost(double value, double threshold) => Round6(value) <= Round6(threshold);

    public static bool IsBelow(double value, double threshold) => Round6(value) < Round6(threshold);

    /// <summary>−1, 0 or +1 for the rounded value, so a tiny residue of a subtraction counts as no movement.</summary>
    public static int Sign(double value) => Math.Sign(Round6(value));
}
