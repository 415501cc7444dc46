using System.Text.Json;
using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Primitives;

/// <summary>The JSON conventions of every body the product writes: snake_case names, lowercase enums.</summary>
public static class WeeklyJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = false,
    };
}
