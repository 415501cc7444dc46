using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Tests.Interpretation;

/// <summary>A scripted reply of the fake endpoint.</summary>
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

/// <summary>One request the fake endpoint received.</summary>
public sealed record FakeRequest(string Deployment, string? ApiKey, JsonObject Body, DateTimeOffset ReceivedAt);

/// <summary>
/// An Azure OpenAI-compatible chat completions endpoint on a loopback port (Kestrel), answering from a script and
/// then with <see cref="Default"/>; it records every request and the most requests it ever served at once.
/// </summary>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<FakeReply> _script = new();
    private WebApplication _app = null!;
    private int _inFlight;
    private int _maxInFlight;

    public FakeReply Default { get; set; } = FakeReply.Completion(InterpretationTestData.ValidSectionsJson(withDrivers: false));

    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<FakeOpenAIServer> StartAsync()
    {
        var server = new FakeOpenAIServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Loopback.AnyPort);
        builder.Logging.ClearProviders();
        server._app = builder.Build();
        server._app.MapPost("/openai/deployments/{deployment}/chat/completions", server.HandleAsync);
        await server._app.StartAsync();
        server.Endpoint = Loopback.AddressOf(server._app);
        return server;
    }

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
            Requests.Enqueue(new FakeRequest(deployment, context.Request.Headers["api-key"].FirstOrDefault(), body!, DateTimeOffset.UtcNow));
            var reply = _script.TryDequeue(out var scripted) ? scripted : Default;
            await Task.Delay(reply.Delay, context.RequestAborted);
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = "application/json";
            if (reply.RetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            await context.Response.WriteAsync(reply.Body, context.RequestAborted);
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
}
