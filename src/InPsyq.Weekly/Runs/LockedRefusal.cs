using System.Text.Json.Serialization;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Primitives;

namespace InPsyq.Weekly.Runs;

/// <summary>
/// Refused because another run holds the lock of the week and scope: a duplicate, not a failure. <see cref="RunId"/>
/// is the id recorded for the refused attempt; a null <see cref="Holder"/> took the lock a moment ago and is not yet known.
/// </summary>
public sealed record LockedRefusal(
    [property: JsonPropertyOrder(1)] Guid RunId,
    [property: JsonPropertyOrder(1), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LockHolder? Holder,
    string Message)
    : Refusal(RefusalKind.Conflict, LockedCode, Message)
{
    public const string LockedCode = "LOCKED";
}
