using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Scoring;

[JsonConverter(typeof(JsonStringEnumConverter<IndexKind>))]
public enum IndexKind
{
    [JsonStringEnumMemberName("strain")] Strain,
    [JsonStringEnumMemberName("withdrawal_risk")] WithdrawalRisk,
    [JsonStringEnumMemberName("trust_gap")] TrustGap,
    [JsonStringEnumMemberName("engagement")] Engagement,
}
