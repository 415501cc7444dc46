using System.Collections.Concurrent;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Tests.Alerts;

public enum ReceiverMode
{
    Accept,
    Fail,
    Hang,

    /// <summary>302 to another path of this receiver, with the POST's body expected again (a 307 would keep it).</summary>
    Redirect,
}

public sealed record ReceivedRequest(string Path, string? ContentType, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A real webhook receiver: Kestrel on a loopback port that records every POST (with its headers) and answers 200,
/// 500, a redirect or never.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    /// <summary>The secret part of the webhook URL, as in Slack's <c>/services/T…/B…/token</c>.</summary>
    public const string SecretToken = "xoxb-test-0123456789-secret";

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private volatile ReceiverMode _mode;

    private WebhookReceiver(WebApplication app)
    {
        _app = app;
        app.MapPost("/services/{**rest}", HandleAsync);
    }

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    public ReceiverMode Mode
    {
        get => _mode;
        set => _mode = value;
    }

    public string Url { get; private set; } = string.Empty;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Loopback.AnyPort);
        builder.Logging.ClearProviders();
        var receiver = new WebhookReceiver(builder.Build());
        await receiver._app.StartAsync();
        receiver.Url = new Uri(Loopback.AddressOf(receiver._app), $"/services/T0001/B0001/{SecretToken}").ToString();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var headers = context.Request.Headers.ToDictionary(header => header.Key, header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Requests.Enqueue(new ReceivedRequest(context.Request.Path, context.Request.ContentType, await reader.ReadToEndAsync(context.RequestAborted), headers));
        switch (Mode)
        {
            case ReceiverMode.Redirect:
                context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
                context.Response.Headers.Location = $"/services/redirected/{SecretToken}";
                break;
            case ReceiverMode.Hang:
                await HangAsync(context.RequestAborted);
                break;
            case ReceiverMode.Fail:
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                break;
            default:
                await context.Response.WriteAsync("ok", context.RequestAborted);
                break;
        }
    }

    /// <summary>Never answers: returns only when the client gives up or the receiver stops.</summary>
    private async Task HangAsync(CancellationToken requestAborted)
    {
        using var hang = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _stopping.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, hang.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
