using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Scoring;

/// <summary>How a measurement item's raw answer relates to its factor.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ItemDirection>))]
public enum ItemDirection
{
    [JsonStringEnumMemberName("HIGHER_IS_MORE")] HigherIsMore,
    [JsonStringEnumMemberName("HIGHER_IS_LESS")] HigherIsLess,
}
