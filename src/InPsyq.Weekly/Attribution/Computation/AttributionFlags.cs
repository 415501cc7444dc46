namespace InPsyq.Weekly.Attribution.Computation;

public static class AttributionFlags
{
    /// <summary>Document flag: fewer than 3 baseline teams, so every internal contribution is 0.</summary>
    public const string NoOrgBaseline = "NO_ORG_BASELINE";

    /// <summary>Driver flag: a C3 driver was capped to C2 because its confidence is below 0.5.</summary>
    public const string ConfidenceCapped = "CONFIDENCE_CAPPED";
}
