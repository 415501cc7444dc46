using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Primitives;

/// <summary>Why a request was refused, for each host to translate (an HTTP status, a CLI exit code).</summary>
public enum RefusalKind
{
    /// <summary>The request itself is wrong; sent again unchanged it is refused again.</summary>
    Invalid,

    /// <summary>It names something that does not exist.</summary>
    NotFound,

    /// <summary>It conflicts with the current state: another run holds the lock, the team is archived, the job is running.</summary>
    Conflict,

    /// <summary>A dependency does not answer; the same request later may succeed.</summary>
    Unavailable,
}

/// <summary>
/// A request refused before any work started: its kind, a machine-readable code, a human sentence and the offending
/// field. Messages never contain secrets, addresses or survey data.
/// </summary>
public record Refusal(
    [property: JsonIgnore] RefusalKind Kind,
    [property: JsonPropertyName("error")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("field")] string? Field = null)
{
    /// <summary>When retrying can help, how long to wait first.</summary>
    [JsonIgnore]
    public TimeSpan? RetryAfter { get; init; }

    public static Refusal Invalid(string code, string message, string? field) => new(RefusalKind.Invalid, code, message, field);
}
