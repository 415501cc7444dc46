using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.AI.OpenAI;
using Azure.Core;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Options;
using OpenAI.Chat;
using Polly.Timeout;

namespace InPsyq.Weekly.Interpretation;

/// <summary>
/// <see cref="ILlmChatClient"/> over Azure OpenAI (API key, or managed identity without one). The SDK's own retries
/// are off: the named HttpClient's resilience pipeline (<see cref="LlmResilience"/>) retries, so attempts count once.
/// Every request carries <c>LLM_MAX_OUTPUT_TOKENS</c> as its maximum output; a 429 throws <see cref="LlmThrottledException"/>.
/// </summary>
public sealed class AzureOpenAIChatClient : ILlmChatClient
{
    public const string HttpClientName = "azure-openai";

    private static readonly TokenUsage s_oneCall = new(0, 0, Calls: 1);

    private readonly IHttpClientFactory _httpClients;
    private readonly LlmOptions _options;
    private readonly TimeProvider _time;
    private readonly Uri _endpoint;
    private readonly ApiKeyCredential? _key;
    private readonly TokenCredential? _identity;

    public AzureOpenAIChatClient(IHttpClientFactory httpClients, IOptions<LlmOptions> options, TimeProvider time, TokenCredential credential)
    {
        _httpClients = httpClients;
        _options = options.Value;
        _time = time;
        _endpoint = _options.Endpoint ?? throw new InvalidOperationException("AZURE_OPENAI_ENDPOINT is not configured.");
        if (string.IsNullOrEmpty(_options.ApiKey))
        {
            _identity = credential;
        }
        else
        {
            _key = new ApiKeyCredential(_options.ApiKey);
        }
    }

    public async Task<LlmReply> CompleteAsync(IReadOnlyList<LlmMessage> messages, JsonObject responseSchema, CancellationToken cancellationToken)
    {
        var completionOptions = new ChatCompletionOptions
        {
            MaxOutputTokenCount = _options.MaxOutputTokens,
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat(
                InterpretationSchema.Name, BinaryData.FromString(responseSchema.ToJsonString()), jsonSchemaIsStrict: true),
        };
        using var activity = WeeklyTelemetry.StartLlmChat(_options.Deployment);
        try
        {
            ChatCompletion completion = await CreateChatClient().CompleteChatAsync(messages.Select(ToChatMessage), completionOptions, cancellationToken);
            var usage = completion.Usage is { } tokens ? new TokenUsage(tokens.InputTokenCount, tokens.OutputTokenCount, Calls: 1) : s_oneCall;
            WeeklyTelemetry.RecordLlmUsage(activity, usage.Input, usage.Output);
            var refused = completion.FinishReason == ChatFinishReason.ContentFilter || !string.IsNullOrEmpty(completion.Refusal);
            var text = string.Concat(completion.Content.Where(part => part.Kind == ChatMessageContentPartKind.Text).Select(part => part.Text));
            return new LlmReply(text, refused, usage);
        }
        catch (ClientResultException e) when (IsContentFilter(e))
        {
            return new LlmReply(string.Empty, ContentFiltered: true, s_oneCall);
        }
        catch (ClientResultException e) when (e.Status == 429)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "HTTP 429");
            var headers = e.GetRawResponse()?.Headers;
            string? milliseconds = null, seconds = null;
            _ = headers?.TryGetValue("retry-after-ms", out milliseconds);
            _ = headers?.TryGetValue("Retry-After", out seconds);
            throw new LlmThrottledException(RetryAfter.Parse(milliseconds, seconds, _time.GetUtcNow()));
        }
        catch (ClientResultException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, $"HTTP {e.Status}");
            throw Unavailable(Describe(e));
        }
        catch (TimeoutRejectedException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "timeout");
            throw Unavailable($"Azure OpenAI did not answer within LLM_TIMEOUT_SECONDS ({_options.TimeoutSeconds} s) in any of LLM_MAX_ATTEMPTS ({_options.MaxAttempts}) attempts.");
        }
        catch (HttpRequestException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.HttpRequestError.ToString());
            throw Unavailable($"Azure OpenAI could not be reached ({e.HttpRequestError}).");
        }
    }

    private ChatClient CreateChatClient()
    {
        var clientOptions = new AzureOpenAIClientOptions
        {
            Transport = new HttpClientPipelineTransport(_httpClients.CreateClient(HttpClientName)),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = _options.CallBudget,
        };
        var client = _key is not null
            ? new AzureOpenAIClient(_endpoint, _key, clientOptions)
            : new AzureOpenAIClient(_endpoint, _identity!, clientOptions);
        return client.GetChatClient(_options.Deployment);
    }

    private static ChatMessage ToChatMessage(LlmMessage message) => message.Role switch
    {
        LlmRole.System => new SystemChatMessage(message.Content),
        LlmRole.User => new UserChatMessage(message.Content),
        _ => new AssistantChatMessage(message.Content),
    };

    /// <summary>Azure rejects a filtered prompt with 400 and error code <c>content_filter</c>.</summary>
    private static bool IsContentFilter(ClientResultException e)
    {
        if (e.Status != 400 || e.GetRawResponse()?.Content is not { } content)
        {
            return false;
        }

        try
        {
            return JsonNode.Parse(content.ToString())?["error"]?["code"]?.GetValue<string>() == "content_filter";
        }
        catch (Exception parse) when (parse is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private string Describe(ClientResultException e)
    {
        if (e.GetRawResponse()?.Headers.TryGetValue("Retry-After", out var header) == true
            && RetryAfter.Parse(header, _time.GetUtcNow()) is { } wait && wait > _options.MaxRetryAfter)
        {
            return $"Azure OpenAI asked to retry after {wait.TotalSeconds:0} s, more than LLM_MAX_RETRY_AFTER_SECONDS ({_options.MaxRetryAfterSeconds} s); not retried.";
        }

        return e.Status == 0
            ? "Azure OpenAI could not be reached."
            : $"Azure OpenAI answered HTTP {e.Status} after at most LLM_MAX_ATTEMPTS ({_options.MaxAttempts}) attempts.";
    }

    private static InterpretationFailedException Unavailable(string message) =>
        new(InterpretationFailedException.LlmUnavailable, message, TokenUsage.None);
}
