using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Attribution.Computation;

[JsonConverter(typeof(JsonStringEnumConverter<DriverBand>))]
public enum DriverBand
{
    [JsonStringEnumMemberName("MINOR")] Minor,
    [JsonStringEnumMemberName("MODERATE")] Moderate,
    [JsonStringEnumMemberName("MAJOR")] Major,
}

/// <summary>Severity of an internal driver, ordered so that a higher member is more severe.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Severity>))]
public enum Severity
{
    [JsonStringEnumMemberName("C0")] C0,
    [JsonStringEnumMemberName("C1")] C1,
    [JsonStringEnumMemberName("C2")] C2,
    [JsonStringEnumMemberName("C3")] C3,
}

/// <summary>Level of an external dependency, ordered so that a higher member is more severe.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DependencyLevel>))]
public enum DependencyLevel
{
    [JsonStringEnumMemberName("D1")] D1,
    [JsonStringEnumMemberName("D2")] D2,
    [JsonStringEnumMemberName("D3")] D3,
}

[JsonConverter(typeof(JsonStringEnumConverter<DependencyKind>))]
public enum DependencyKind
{
    [JsonStringEnumMemberName("organizational")] Organizational,
    [JsonStringEnumMemberName("process")] Process,
    [JsonStringEnumMemberName("temporal_deadline")] TemporalDeadline,
}

[JsonConverter(typeof(JsonStringEnumConverter<Controllability>))]
public enum Controllability
{
    [JsonStringEnumMemberName("low")] Low,
    [JsonStringEnumMemberName("medium")] Medium,
}

[JsonConverter(typeof(JsonStringEnumConverter<PrimarySource>))]
public enum PrimarySource
{
    [JsonStringEnumMemberName("INTERNAL")] Internal,
    [JsonStringEnumMemberName("EXTERNAL")] External,
    [JsonStringEnumMemberName("MIXED")] Mixed,
}

[JsonConverter(typeof(JsonStringEnumConverter<PropagationRisk>))]
public enum PropagationRisk
{
    [JsonStringEnumMemberName("LOW")] Low,
    [JsonStringEnumMemberName("ELEVATED")] Elevated,
    [JsonStringEnumMemberName("HIGH")] High,
}
