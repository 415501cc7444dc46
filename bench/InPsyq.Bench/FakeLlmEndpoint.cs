using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InPsyq.Bench;

/// <summary>
/// An Azure OpenAI-compatible chat completions endpoint on a loopback port that answers every request after a fixed
/// latency with the same valid interpretation (no drivers named, so it is valid for any team).
/// </summary>
internal sealed class FakeLlmEndpoint : IAsyncDisposable
{
    private const string Summary =
        "The team had a steady week with a few signals worth watching. Most indices stayed within their usual range and "
        + "nothing points to a sudden change. The picture is stable enough to keep the current rhythm while checking in "
        + "regularly on workload and collaboration.";

    private const string Limits =
        "Confidence is moderate: the group that answered is small and the history is short. Treat single-week movements "
        + "with care and look for patterns that repeat before drawing conclusions.";

    private static readonly string s_reply = new JsonObject
    {
        ["id"] = "chatcmpl-bench",
        ["object"] = "chat.completion",
        ["created"] = 1_700_000_000,
        ["model"] = "gpt-bench",
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["finish_reason"] = "stop",
            ["message"] = new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = new JsonObject
                {
                    ["executive_summary"] = Summary,
                    ["what_changed"] = new JsonArray("Most indices held steady this week.", "No sudden shift stands out.", "The pattern matches recent weeks."),
                    ["primary_drivers"] = new JsonObject { ["internal"] = new JsonArray(), ["external"] = new JsonArray() },
                    ["risk_outlook"] = new JsonArray("Workload could build up if the current pace continues."),
                    ["recommended_focus"] = new JsonArray("Keep the regular check-in on workload and collaboration."),
                    ["confidence_and_limits"] = Limits,
                }.ToJsonString(),
            },
        }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 900, ["completion_tokens"] = 250, ["total_tokens"] = 1150 },
    }.ToJsonString();

    private readonly WebApplication _app;

    private FakeLlmEndpoint(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static async Task<FakeLlmEndpoint> StartAsync(TimeSpan latency, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/openai/deployments/{deployment}/chat/completions", async (HttpContext context) =>
        {
            await Task.Delay(latency, context.RequestAborted);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(s_reply, context.RequestAborted);
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeLlmEndpoint(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
