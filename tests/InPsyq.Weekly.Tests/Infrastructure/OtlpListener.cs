using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>One OTLP/HTTP export as it arrived: the path, the content type and the body, not decoded.</summary>
public sealed record OtlpPost(string Path, string? ContentType, byte[] Body)
{
    /// <summary>Whether the body holds <paramref name="text"/> as UTF-8 (names travel verbatim in protobuf).</summary>
    public bool Mentions(string text) => Body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(text)) >= 0;
}

/// <summary>A local OTLP/HTTP collector on a free loopback port: it answers every post 200 and keeps it.</summary>
public sealed class OtlpListener : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpListener(WebApplication app) => _app = app;

    public ConcurrentQueue<OtlpPost> Posts { get; } = new();

    public Uri Endpoint => Loopback.AddressOf(_app);

    public static async Task<OtlpListener> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Loopback.AnyPort);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var listener = new OtlpListener(app);
        app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            listener.Posts.Enqueue(new OtlpPost(context.Request.Path, context.Request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync();
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
