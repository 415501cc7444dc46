namespace InPsyq.Weekly.Pipeline;

/// <summary>
/// A team's stage failed for a reason the stage understands (e.g. <c>INVALID_VALUE</c>). The message is shown to
/// operators and stored in the audit trail, so it names identifiers only, never survey values or secrets.
/// </summary>
public sealed class StageFailedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
