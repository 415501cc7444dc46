using System.Text.Json.Nodes;
using InPsyq.Weekly.Pipeline;

namespace InPsyq.Weekly.Interpretation;

/// <summary>Writes the sections of one team-week; the result has passed <see cref="InterpretationValidator"/>.</summary>
public interface IInterpreter
{
    /// <summary>The model the skip check expects: the configured deployment, or <see cref="OfflineInterpreter.ModelId"/>.</summary>
    string ConfiguredModelId { get; }

    Task<InterpretationResult> InterpretAsync(InterpretationInput input, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="InterpretAsync(InterpretationInput, CancellationToken)"/> within the team's stage budget (null:
    /// none), which an interpreter that waits for shared capacity (LLM slots, quota admission) pauses while it waits.
    /// </summary>
    Task<InterpretationResult> InterpretAsync(InterpretationInput input, TeamBudget? budget, CancellationToken cancellationToken) =>
        InterpretAsync(input, cancellationToken);
}

/// <param name="ModelId">The model actually used (an LLM call that fell back to offline reports <see cref="OfflineInterpreter.ModelId"/>).</param>
/// <param name="Usage">Every token spent, repair calls included.</param>
public sealed record InterpretationResult(JsonObject Sections, string ModelId, TokenUsage Usage, bool FellBackToOffline = false);

/// <param name="Calls">The chat calls the service answered (with a completion or a refusal).</param>
public readonly record struct TokenUsage(long Input, long Output, int Calls = 0)
{
    public static TokenUsage None => default;

    public static TokenUsage operator +(TokenUsage left, TokenUsage right) =>
        new(left.Input + right.Input, left.Output + right.Output, left.Calls + right.Calls);
}

/// <summary>
/// An interpretation that failed for a reason the stage understands (<c>CONTENT_FILTERED</c>, <c>LLM_UNAVAILABLE</c>,
/// <c>INVALID_OUTPUT</c>), with the tokens spent on the way so the run still counts them. The message names rules
/// and settings only, never prompts, generated text or survey values.
/// </summary>
public sealed class InterpretationFailedException(string code, string message, TokenUsage usage, Exception? inner = null)
    : Exception(message, inner)
{
    public const string ContentFiltered = "CONTENT_FILTERED";
    public const string LlmUnavailable = "LLM_UNAVAILABLE";
    public const string InvalidOutput = "INVALID_OUTPUT";

    public string Code { get; } = code;

    public TokenUsage Usage { get; } = usage;
}
