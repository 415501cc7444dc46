namespace InPsyq.Weekly.Health;

/// <summary>
/// What a check saw and in what unit, carried in <c>HealthCheckResult.Data</c> under the contract's names
/// (<c>observed_value</c>, <c>observed_unit</c>).
/// </summary>
public static class HealthObservation
{
    public const string ValueKey = "observed_value";
    public const string UnitKey = "observed_unit";

    /// <summary>The data of a result that saw <paramref name="value"/> (null: nothing could be read) in <paramref name="unit"/>.</summary>
    public static IReadOnlyDictionary<string, object> Of(string? value, string unit)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { [UnitKey] = unit };
        if (value is not null)
        {
            data[ValueKey] = value;
        }

        return data;
    }

    public static string? ValueIn(IReadOnlyDictionary<string, object> data) => data.GetValueOrDefault(ValueKey) as string;

    public static string? UnitIn(IReadOnlyDictionary<string, object> data) => data.GetValueOrDefault(UnitKey) as string;
}
