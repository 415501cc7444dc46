using System.Text.Json;
using System.Text.Json.Nodes;
using InPsyq.Weekly.LlmQuota;
using InPsyq.Weekly.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Interpretation;

/// <summary>
/// The Azure OpenAI path: one chat call with the request's strict schema; output that fails validation gets one
/// repair call listing the violations, then fails (<c>INVALID_OUTPUT</c>) or, with <c>LLM_FALLBACK_TO_OFFLINE</c>,
/// falls back to the offline templates. At most <c>LLM_MAX_CONCURRENCY</c> calls run at once across all teams of the
/// process, and each is admitted by the quota governor, which every host shares; a 429 goes back to the governor and
/// the call waits for admission again (it is not one of the <c>LLM_MAX_ATTEMPTS</c>). The team's budget is paused
/// while it waits for a slot or for admission; the run's deadline (the token) always applies.
/// </summary>
public sealed partial class LlmInterpreter : IInterpreter, IDisposable
{
    private readonly ILlmChatClient _chat;
    private readonly OfflineInterpreter _offline;
    private readonly LlmOptions _options;
    private readonly ILogger<LlmInterpreter> _logger;
    private readonly LlmQuotaGovernor _governor;
    private readonly SemaphoreSlim _concurrency;

    public LlmInterpreter(ILlmChatClient chat, OfflineInterpreter offline, LlmQuotaGovernor governor, IOptions<LlmOptions> options, ILogger<LlmInterpreter> logger)
    {
        _chat = chat;
        _offline = offline;
        _governor = governor;
        _options = options.Value;
        _logger = logger;
        _concurrency = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
    }

    public string ConfiguredModelId => _options.Deployment!;

    public Task<InterpretationResult> InterpretAsync(InterpretationInput input, CancellationToken cancellationToken) =>
        InterpretAsync(input, null, cancellationToken);

    public async Task<InterpretationResult> InterpretAsync(InterpretationInput input, TeamBudget? budget, CancellationToken cancellationToken)
    {
        var schema = InterpretationSchema.ForInput(input);
        var schemaCharacters = schema.ToJsonString().Length;
        List<LlmMessage> messages = [new(LlmRole.System, InterpretationPrompt.System), new(LlmRole.User, InterpretationPrompt.User(input))];
        var reply = await CompleteAsync(messages, schema, schemaCharacters, TokenUsage.None, budget, cancellationToken);
        var usage = reply.Usage;
        var (sections, violations) = Parse(reply.Text, input);
        if (violations.Count == 0)
        {
            return new InterpretationResult(sections!, ConfiguredModelId, usage);
        }

        LogRepairing(violations.Count, Summary(violations));
        messages.Add(new(LlmRole.Assistant, reply.Text));
        messages.Add(new(LlmRole.User, InterpretationPrompt.Repair(violations)));
        reply = await CompleteAsync(messages, schema, schemaCharacters, usage, budget, cancellationToken);
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

    private async Task<LlmReply> CompleteAsync(
        List<LlmMessage> messages, JsonObject schema, int schemaCharacters, TokenUsage spent, TeamBudget? budget, CancellationToken cancellationToken)
    {
        LlmReply reply;
        using (budget?.Pause())
        {
            await _concurrency.WaitAsync(cancellationToken);
        }

        try
        {
            // Azure OpenAI counts the response schema with the prompt.
            var cost = _governor.Estimate(messages.Sum(message => message.Content.Length) + schemaCharacters);
            while (true)
            {
                using (budget?.Pause())
                {
                    await _governor.AdmitAsync(cost, cancellationToken);
                }

                try
                {
                    reply = await _chat.CompleteAsync(messages, schema, cancellationToken);
                    _governor.Completed(cost, reply.Usage.Input);
                    break;
                }
                catch (LlmThrottledException throttled)
                {
                    LogThrottled(throttled.RetryAfter?.TotalSeconds);
                    using (budget?.Pause())
                    {
                        await _governor.ThrottledAsync(throttled.RetryAfter, cancellationToken);
                    }
                }
            }
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Azure OpenAI answered 429 (Retry-After {RetryAfterSeconds} s); the call waits for the quota governor")]
    private partial void LogThrottled(double? retryAfterSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Interpretation output broke {Count} rules ({Rules}); sending one repair call")]
    private partial void LogRepairing(int count, string rules);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Interpretation output still broke rules after the repair call ({Rules}); falling back to the offline interpreter")]
    private partial void LogFallingBack(string rules);
}
