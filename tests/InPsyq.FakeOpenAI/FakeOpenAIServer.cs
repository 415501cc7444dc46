using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InPsyq.FakeOpenAI;

/// <summary>A scripted reply of the fake endpoint; <see cref="Delay"/> is its latency.</summary>
public sealed record FakeReply(int Status, string Body, string? RetryAfter = null, TimeSpan Delay = default)
{
    public static FakeReply Completion(string content, string finishReason = "stop", int promptTokens = 120, int completionTokens = 80) =>
        new(200, new JsonObject
        {
            ["id"] = "chatcmpl-test",
            ["object"] = "chat.completion",
            ["created"] = 1_700_000_000,
            ["model"] = "gpt-4o",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["finish_reason"] = finishReason,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
            }),
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = promptTokens,
                ["completion_tokens"] = completionTokens,
                ["total_tokens"] = promptTokens + completionTokens,
            },
        }.ToJsonString());

    public static FakeReply Error(int status, string? retryAfter = null) =>
        new(status, """{"error":{"code":"server_error","message":"scripted failure"}}""", retryAfter);
}

/// <summary>One request the fake endpoint received, and the status it answered (or is about to answer, after the delay).</summary>
public sealed record FakeRequest(string Deployment, string? ApiKey, JsonObject Body, DateTimeOffset ReceivedAt, int Status);

/// <summary>
/// An Azure OpenAI-compatible chat completions endpoint on a loopback port (Kestrel), answering from a script and
/// then with <see cref="Default"/> (each after its <see cref="FakeReply.Delay"/>); it records every request and the
/// most requests it ever served at once. A deployment given a quota (<see cref="Limit"/>) is refused with 429 when a
/// request exceeds it (<see cref="FakeQuota"/>), before any script; the replies it admits report the prompt tokens the
/// quota counted.
/// </summary>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<FakeReply> _script = new();
    private readonly ConcurrentDictionary<string, FakeQuota> _quotas = new(StringComparer.Ordinal);
    private WebApplication _app = null!;
    private int _inFlight;
    private int _maxInFlight;

    public FakeReply Default { get; set; } = FakeReply.Completion(FakeInterpretation.Json);

    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    /// <summary>Every reply waits for this task first: a test holds the service's answers until it has seen what it needs.</summary>
    public Task Hold { get; set; } = Task.CompletedTask;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<FakeOpenAIServer> StartAsync()
    {
        var server = new FakeOpenAIServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        server._app = builder.Build();
        server._app.MapPost("/openai/deployments/{deployment}/chat/completions", server.HandleAsync);
        await server._app.StartAsync();
        server.Endpoint = new Uri(server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    /// <summary>Enforces a quota on <paramref name="deployment"/> from now on (0: that limit is unlimited).</summary>
    public FakeQuota Limit(string deployment, int requestsPerMinute, int tokensPerMinute) =>
        _quotas[deployment] = new FakeQuota(requestsPerMinute, tokensPerMinute);

    public void Script(params FakeReply[] replies)
    {
        foreach (var reply in replies)
        {
            _script.Enqueue(reply);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The characters Azure OpenAI counts as the prompt: every message's content and the response schema.</summary>
    public static int PromptCharactersOf(JsonObject body) =>
        (body["messages"] as JsonArray ?? []).Sum(message => message?["content"] is JsonValue content && content.TryGetValue<string>(out var text) ? text.Length : 0)
        + (body["response_format"]?["json_schema"]?["schema"]?.ToJsonString().Length ?? 0);

    /// <summary>The request's maximum output tokens, under either name the API has used.</summary>
    public static int MaxOutputTokensOf(JsonObject body) =>
        (int?)body["max_completion_tokens"] ?? (int?)body["max_tokens"] ?? FakeQuota.DefaultMaxOutputTokens;

    private async Task HandleAsync(HttpContext context, string deployment)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        int max;
        while ((max = Volatile.Read(ref _maxInFlight)) < inFlight && Interlocked.CompareExchange(ref _maxInFlight, inFlight, max) != max)
        {
        }

        try
        {
            var body = await JsonSerializer.DeserializeAsync<JsonObject>(context.Request.Body, cancellationToken: context.RequestAborted);
            var receivedAt = DateTimeOffset.UtcNow;
            var apiKey = context.Request.Headers["api-key"].FirstOrDefault();
            var promptTokens = FakeQuota.PromptTokensOf(PromptCharactersOf(body!));
            if (_quotas.TryGetValue(deployment, out var quota) && quota.TryAdmit(promptTokens + MaxOutputTokensOf(body!)) is { } retryAfter)
            {
                Requests.Enqueue(new FakeRequest(deployment, apiKey, body!, receivedAt, StatusCodes.Status429TooManyRequests));
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["retry-after-ms"] = Math.Ceiling(retryAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"error":{"code":"429","message":"Rate limit of the fake deployment exceeded."}}""", context.RequestAborted);
                return;
            }

            var reply = _script.TryDequeue(out var scripted) ? scripted : Default;
            Requests.Enqueue(new FakeRequest(deployment, apiKey, body!, receivedAt, reply.Status));
            await Hold.WaitAsync(context.RequestAborted);
            await Task.Delay(reply.Delay, context.RequestAborted);
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = "application/json";
            if (reply.RetryAfter is { } scriptedRetryAfter)
            {
                context.Response.Headers.RetryAfter = scriptedRetryAfter;
            }

            await context.Response.WriteAsync(quota is not null && reply.Status == 200 ? Counted(reply.Body, promptTokens) : reply.Body, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (per-attempt timeout): nothing to answer.
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>A completion whose usage reports the prompt tokens the quota counted.</summary>
    private static string Counted(string completion, long promptTokens)
    {
        var reply = JsonNode.Parse(completion)!.AsObject();
        if (reply["usage"] is JsonObject usage)
        {
            usage["prompt_tokens"] = promptTokens;
            usage["total_tokens"] = promptTokens + ((long?)usage["completion_tokens"] ?? 0);
        }

        return reply.ToJsonString();
    }
}
