using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// A request refused before a run starts: an HTTP status, a machine-readable code, a human sentence and the
/// offending field. Messages never contain secrets, addresses or survey data.
/// </summary>
public sealed record ApiError(
    [property: JsonIgnore] int Status,
    [property: JsonPropertyName("error")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("field")] string? Field = null)
{
    /// <summary>Seconds for a <c>Retry-After</c> header, when retrying later can help.</summary>
    [JsonIgnore]
    public int? RetryAfterSeconds { get; init; }

    /// <summary>The id recorded for a refused attempt (409 <c>LOCKED</c>).</summary>
    [JsonPropertyName("run_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Guid? RunId { get; init; }

    /// <summary>Who holds the lock (409 <c>LOCKED</c>).</summary>
    [JsonPropertyName("holder")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Locking.LockHolder? Holder { get; init; }

    /// <summary>The code of a run refused because another run holds its lock.</summary>
    public const string LockedCode = "LOCKED";

    /// <summary>Refused because another run holds the lock: a duplicate, not a failure.</summary>
    [JsonIgnore]
    public bool IsLocked => Code == LockedCode;

    public static ApiError BadRequest(string code, string message, string? field) => new(400, code, message, field);
}
