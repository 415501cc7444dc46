using System.Text.Json.Nodes;

namespace InPsyq.Weekly.Interpretation;

/// <summary>One chat completion with a strict JSON-schema response format; the seam between the interpreter and Azure OpenAI.</summary>
public interface ILlmChatClient
{
    /// <summary>
    /// Sends <paramref name="messages"/> and returns the reply. Transient failures are retried inside; a failure that
    /// remains throws <see cref="InterpretationFailedException"/> (<c>LLM_UNAVAILABLE</c>). A 429 is not retried here:
    /// it throws <see cref="LlmThrottledException"/> for the quota governor.
    /// </summary>
    Task<LlmReply> CompleteAsync(IReadOnlyList<LlmMessage> messages, JsonObject responseSchema, CancellationToken cancellationToken);
}

public enum LlmRole
{
    System,
    User,
    Assistant,
}

public sealed record LlmMessage(LlmRole Role, string Content);

/// <param name="Text">The reply's content; empty when the reply was refused.</param>
/// <param name="ContentFiltered">The service's content filter or the model refused the request; retrying will not help.</param>
public sealed record LlmReply(string Text, bool ContentFiltered, TokenUsage Usage);

/// <summary>
/// The service refused the call for its quota (429). Not a failure of the team: the quota governor pauses every
/// host until <see cref="RetryAfter"/> (when the service sent one) and the call is admitted again.
/// </summary>
public sealed class LlmThrottledException(TimeSpan? retryAfter)
    : Exception("Azure OpenAI refused the call for its quota (429).")
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
