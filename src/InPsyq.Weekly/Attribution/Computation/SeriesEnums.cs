using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Attribution.Computation;

[JsonConverter(typeof(JsonStringEnumConverter<Trend>))]
public enum Trend
{
    [JsonStringEnumMemberName("UP")] Up,
    [JsonStringEnumMemberName("DOWN")] Down,
    [JsonStringEnumMemberName("STABLE")] Stable,
}

[JsonConverter(typeof(JsonStringEnumConverter<Regime>))]
public enum Regime
{
    [JsonStringEnumMemberName("NOISE")] Noise,
    [JsonStringEnumMemberName("EMERGING")] Emerging,
    [JsonStringEnumMemberName("PERSISTENT")] Persistent,
}

[JsonConverter(typeof(JsonStringEnumConverter<Stability>))]
public enum Stability
{
    [JsonStringEnumMemberName("LOW")] Low,
    [JsonStringEnumMemberName("MED")] Med,
    [JsonStringEnumMemberName("HIGH")] High,
}
