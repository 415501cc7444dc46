using System.Text.Json.Nodes;

namespace InPsyq.Weekly.Interpretation;

/// <summary>One chat completion with a strict JSON-schema response format; the seam between the interpreter and Azure OpenAI.</summary>
public interface ILlmChatClient
{
    /// <summary>
    /// Sends <paramref name="messages"/> and returns the reply. Transient failures are retried inside; a failure that
    /// remains throws <see cref="InterpretationFailedException"/> (<c>LLM_UNAVAILABLE</c>).
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
