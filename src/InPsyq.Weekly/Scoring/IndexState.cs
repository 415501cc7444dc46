using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Scoring;

/// <summary>Qualitative level of concern for an index value; <see cref="Minimal"/> is always the good end.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IndexState>))]
public enum IndexState
{
    [JsonStringEnumMemberName("minimal")] Minimal,
    [JsonStringEnumMemberName("low")] Low,
    [JsonStringEnumMemberName("moderate")] Moderate,
    [JsonStringEnumMemberName("elevated")] Elevated,
    [JsonStringEnumMemberName("high")] High,
    [JsonStringEnumMemberName("critical")] Critical,
}
