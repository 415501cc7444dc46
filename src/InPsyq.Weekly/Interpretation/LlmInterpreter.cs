using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Interpretation;

/// <summary>
/// The Azure OpenAI path: one chat call with the request's strict schema; output that fails validation gets one
/// repair call listing the violations, then fails (<c>INVALID_OUTPUT</c>) or, with <c>LLM_FALLBACK_TO_OFFLINE</c>,
/// falls back to the offline templates. At most <c>LLM_MAX_CONCURRENCY</c> calls run at once across all teams.
/// </summary>
public sealed partial class LlmInterpreter : IInterpreter, IDisposable
{
    private readonly ILlmChatClient _chat;
    private readonly OfflineInterpreter _offline;
    private readonly LlmOptions _options;
    private readonly ILogger<LlmInterpreter> _logger;
    private readonly SemaphoreSlim _concurrency;

    public LlmInterpreter(ILlmChatClient chat, OfflineInterpreter offline, IOptions<LlmOptions> options, ILogger<LlmInterpreter> logger)
    {
        _chat = chat;
        _offline = offline;
        _options = options.Value;
        _logger = logger;
        _concurrency = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
    }

    public string ConfiguredModelId => _options.Deployment!;

    public async Task<InterpretationResult> InterpretAsync(InterpretationInput input, CancellationToken cancellationToken)
    {
        var schema = InterpretationSchema.ForInput(input);
        List<LlmMessage> messages = [new(LlmRole.System, InterpretationPrompt.System), new(LlmRole.User, InterpretationPrompt.User(input))];
        var reply = await CompleteAsync(messages, schema, TokenUsage.None, cancellationToken);
        var usage = reply.Usage;
        var (sections, violations) = Parse(reply.Text, input);
        if (violations.Count == 0)
        {
            return new InterpretationResult(sections!, ConfiguredModelId, usage);
        }

        LogRepairing(violations.Count, Summary(violations));
        messages.Add(new(LlmRole.Assistant, reply.Text));
        messages.Add(new(LlmRole.User, InterpretationPrompt.Repair(violations)));
        reply = await CompleteAsync(messages, schema, usage, cancellationToken);
        usage += reply.Usage;
        (sections, violations) = Parse(reply.Text, input);
        if (violations.Count == 0)
        {
            return new InterpretationResult(sections!, ConfiguredModelId, usage);
        }

        if (_options.FallbackToOffline)
        {
            LogFallingBack(Summary(violations));
            var offline = await _offline.InterpretAsync(input, cancellationToken);
            return offline with { Usage = usage, FellBackToOffline = true };
        }

        throw new InterpretationFailedException(InterpretationFailedException.InvalidOutput,
            $"The model's output failed validation after one repair call: {Summary(violations)}.", usage);
    }

    public void Dispose() => _concurrency.Dispose();

    private async Task<LlmReply> CompleteAsync(List<LlmMessage> messages, JsonObject schema, TokenUsage spent, CancellationToken cancellationToken)
    {
        LlmReply reply;
        await _concurrency.WaitAsync(cancellationToken);
        try
        {
            reply = await _chat.CompleteAsync(messages, schema, cancellationToken);
        }
        catch (InterpretationFailedException e)
        {
            throw new InterpretationFailedException(e.Code, e.Message, spent + e.Usage);
        }
        finally
        {
            _concurrency.Release();
        }

        if (reply.ContentFiltered)
        {
            throw new InterpretationFailedException(InterpretationFailedException.ContentFiltered,
                "Azure OpenAI refused the request or its answer (content filter); refusals are not retried.", spent + reply.Usage);
        }

        return reply;
    }

    private static (JsonObject? Sections, IReadOnlyList<InterpretationViolation> Violations) Parse(string text, InterpretationInput input)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return (null, [new("$", InterpretationViolation.Schema, "is not valid JSON")]);
        }

        var violations = InterpretationValidator.Validate(node, input);
        return (violations.Count == 0 ? node!.AsObject() : null, violations);
    }

    /// <summary>Paths and rules only: safe for logs and the run report, never the generated text.</summary>
    private static string Summary(IReadOnlyList<InterpretationViolation> violations) =>
        string.Join(", ", violations.Select(violation => $"{violation.Path} ({violation.Rule})").Distinct().Take(10));

    [LoggerMessage(Level = LogLevel.Information, Message = "Interpretation output broke {Count} rules ({Rules}); sending one repair call")]
    private partial void LogRepairing(int count, string rules);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Interpretation output still broke rules after the repair call ({Rules}); falling back to the offline interpreter")]
    private partial void LogFallingBack(string rules);
}
