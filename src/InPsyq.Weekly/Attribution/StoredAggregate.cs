using System.Text.Json;
using InPsyq.Weekly.Scoring;

namespace InPsyq.Weekly.Attribution;

/// <summary>A stage-1 row of <c>weekly_aggregates</c> as stage 2 reads it: the factor means and index values only.</summary>
/// <param name="FactorMeans">The present factors; empty for a suppressed row.</param>
/// <param name="IndexValues">The computed indices; a not-computed or suppressed index is absent.</param>
internal sealed record StoredAggregate(
    Guid TeamId,
    DateOnly WeekStart,
    int Respondents,
    bool Suppressed,
    IReadOnlyDictionary<Factor, double> FactorMeans,
    IReadOnlyDictionary<IndexKind, double> IndexValues,
    string InputHash)
{
    /// <summary>The value of an index that week, or null when the team has none (suppressed, not computed).</summary>
    public double? IndexValue(IndexKind index) => IndexValues.TryGetValue(index, out var value) ? value : null;

    /// <summary>Reads <c>factors</c> (<c>{factor: {mean, sd, n, se}}</c>) into factor means.</summary>
    public static Dictionary<Factor, double> ParseFactorMeans(string factorsJson)
    {
        using var document = JsonDocument.Parse(factorsJson);
        var means = new Dictionary<Factor, double>();
        foreach (var factor in document.RootElement.EnumerateObject())
        {
            if (NumberOf(factor.Value, "mean") is { } mean)
            {
                means[WireName.Parse<Factor>(factor.Name)] = mean;
            }
        }

        return means;
    }

    /// <summary>
    /// Reads <c>indices</c> (<c>{index: {value, sigma, state}}</c>) into index values; a not-computed index may be
    /// stored as JSON null or with a null value, and is left out either way.
    /// </summary>
    public static Dictionary<IndexKind, double> ParseIndexValues(string indicesJson)
    {
        using var document = JsonDocument.Parse(indicesJson);
        var values = new Dictionary<IndexKind, double>();
        foreach (var index in document.RootElement.EnumerateObject())
        {
            if (NumberOf(index.Value, "value") is { } value)
            {
                values[WireName.Parse<IndexKind>(index.Name)] = value;
            }
        }

        return values;
    }

    private static double? NumberOf(JsonElement entry, string property) =>
        entry.ValueKind == JsonValueKind.Object
        && entry.TryGetProperty(property, out var number)
        && number.ValueKind == JsonValueKind.Number
            ? number.GetDouble()
            : null;
}
