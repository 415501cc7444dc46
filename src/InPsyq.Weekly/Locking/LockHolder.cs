using System.Globalization;
using System.Text.Json.Serialization;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Locking;

/// <summary>The name of one weekly lock blob: <c>{week_start}/all</c> or <c>{week_start}/org-{org_id}</c>.</summary>
public readonly record struct LockKey(IsoWeek Week, Guid? OrgId)
{
    public static LockKey WholeWeek(IsoWeek week) => new(week, null);

    public static LockKey ForOrg(IsoWeek week, Guid orgId) => new(week, orgId);

    public string BlobName => OrgId is { } org ? $"{Week}/org-{org}" : $"{Week}/all";

    public override string ToString() => BlobName;
}

/// <summary>Who holds a lock, as written into the lock blob's metadata.</summary>
public sealed record LockHolder(
    [property: JsonPropertyName("run_id")] Guid RunId,
    [property: JsonPropertyName("trigger")] string Trigger,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("acquired_at")] DateTimeOffset AcquiredAt,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt,
    [property: JsonPropertyName("host")] string Host)
{
    private const string RoundTrip = "O";

    public IDictionary<string, string> ToMetadata() => new Dictionary<string, string>
    {
        ["run_id"] = RunId.ToString(),
        ["trigger"] = Trigger,
        ["mode"] = Mode,
        ["scope"] = Scope,
        ["acquired_at"] = AcquiredAt.ToString(RoundTrip, CultureInfo.InvariantCulture),
        ["expires_at"] = ExpiresAt.ToString(RoundTrip, CultureInfo.InvariantCulture),
        ["host"] = Host,
    };

    /// <summary>Reads a holder back from blob metadata; null when the blob carries none (never locked yet).</summary>
    public static LockHolder? FromMetadata(IDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue("run_id", out var runId) || !Guid.TryParse(runId, out var id))
        {
            return null;
        }

        return new LockHolder(
            id,
            metadata.TryGetValue("trigger", out var trigger) ? trigger : "unknown",
            metadata.TryGetValue("mode", out var mode) ? mode : "unknown",
            metadata.TryGetValue("scope", out var scope) ? scope : "unknown",
            ParseInstant(metadata, "acquired_at"),
            ParseInstant(metadata, "expires_at"),
            metadata.TryGetValue("host", out var host) ? host : "unknown");
    }

    private static DateTimeOffset ParseInstant(IDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var text)
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var value)
            ? value
            : DateTimeOffset.MinValue;
}
