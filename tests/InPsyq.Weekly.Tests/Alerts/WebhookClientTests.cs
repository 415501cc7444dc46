using System.Diagnostics;
using InPsyq.Weekly.Alerts;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Tests.Alerts;

/// <summary>
/// What the webhook's receiver, a third party, gets from <see cref="AlertWebhookClient"/>: no trace context of ours
/// (not even with an Activity current and the HttpClient's activities sampled, as HttpClient instrumentation does),
/// and no second request when it answers with a redirect.
/// </summary>
public sealed class WebhookClientTests : IAsyncLifetime
{
    private static readonly string[] s_traceHeaders = ["traceparent", "tracestate", "Request-Id", "baggage", "Correlation-Context"];

    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task No_trace_header_reaches_the_receiver_while_an_activity_is_current()
    {
        using var listener = SampleEverything();
        using var source = new ActivitySource("InPsyq.Weekly.Tests.Webhook");
        using var activity = source.StartActivity("alert");
        Assert.NotNull(activity);
        activity.TraceStateString = "inpsyq=1";
        activity.AddBaggage("tenant", "demo");

        // The same request through a plain client carries the trace context: the test would see a leak.
        using (var plain = new HttpClient())
        {
            using var content = new StringContent("{}");
            (await plain.PostAsync(new Uri(_receiver.Url), content)).Dispose();
        }

        using var logs = new CapturingLoggerProvider();
        await using var services = Services(logs);
        Assert.Null(await services.GetRequiredService<AlertWebhookClient>().PostAsync("{}", CancellationToken.None));

        var (control, sent) = (_receiver.Requests.First(), _receiver.Requests.Last());
        Assert.Equal(2, _receiver.Requests.Count);
        Assert.Contains("traceparent", control.Headers.Keys);
        Assert.Empty(sent.Headers.Keys.Intersect(s_traceHeaders, StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_redirect_is_a_failed_delivery_that_is_not_followed_and_names_no_url()
    {
        _receiver.Mode = ReceiverMode.Redirect;

        using var logs = new CapturingLoggerProvider();
        await using var services = Services(logs);
        var failure = await services.GetRequiredService<AlertWebhookClient>().PostAsync("{}", CancellationToken.None);

        Assert.Equal("HTTP 307", failure);
        Assert.Single(_receiver.Requests);
        Assert.All(logs.Lines, line =>
        {
            Assert.DoesNotContain(WebhookReceiver.SecretToken, line, StringComparison.Ordinal);
            Assert.DoesNotContain("/services/", line, StringComparison.Ordinal);
        });
    }

    private ServiceProvider Services(CapturingLoggerProvider logs) => new ServiceCollection()
        .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs))
        .AddAlerts(new ConfigurationBuilder().AddInMemoryCollection(AlertTesting.Settings(_receiver.Url)).Build())
        .BuildServiceProvider();

    /// <summary>What OpenTelemetry's HttpClient instrumentation does: every activity, System.Net.Http's included, is recorded.</summary>
    private static ActivityListener SampleEverything()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
