using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Scoring;

/// <summary>A psychological factor, scored 0..1 where 1 means "more of what the name says".</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Factor>))]
public enum Factor
{
    [JsonStringEnumMemberName("emotional_load")] EmotionalLoad,
    [JsonStringEnumMemberName("cognitive_dissonance")] CognitiveDissonance,
    [JsonStringEnumMemberName("meaning")] Meaning,
    [JsonStringEnumMemberName("trust_leadership")] TrustLeadership,
    [JsonStringEnumMemberName("trust_peers")] TrustPeers,
    [JsonStringEnumMemberName("psych_safety")] PsychSafety,
    [JsonStringEnumMemberName("control")] Control,
    [JsonStringEnumMemberName("autonomy_friction")] AutonomyFriction,
    [JsonStringEnumMemberName("engagement")] Engagement,
    [JsonStringEnumMemberName("adaptive_capacity")] AdaptiveCapacity,
}
