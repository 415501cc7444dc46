namespace InPsyq.Weekly.Scoring;

/// <summary>
/// Why an answer cannot be scored. It names the item only — never the value or the respondent — because it ends
/// up in run reports and alerts.
/// </summary>
public sealed record MeasurementError(string Code, string ItemId)
{
    public const string InvalidValueCode = "INVALID_VALUE";
    public const string InvalidItemCode = "INVALID_ITEM";

    public string Message => Code == InvalidItemCode
        ? $"Measurement item '{ItemId}' has an invalid definition."
        : $"A response to measurement item '{ItemId}' is missing or outside the item's scale.";

    public static MeasurementError InvalidValue(string itemId) => new(InvalidValueCode, itemId);

    /// <summary>Also for an item whose factor is not one of the ten (see <see cref="WireName.TryParse{TEnum}"/>).</summary>
    public static MeasurementError InvalidItem(string itemId) => new(InvalidItemCode, itemId);
}
