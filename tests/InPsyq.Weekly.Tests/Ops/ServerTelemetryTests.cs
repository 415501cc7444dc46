using System.Diagnostics;
using InPsyq.Weekly.Tests.Infrastructure;
using OpenTelemetry.Trace;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>The standalone host traces its HTTP requests with OpenTelemetry, continuing the caller's trace, and not its idle polls.</summary>
public sealed class ServerTelemetryTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_request_to_the_standalone_host_is_a_server_span_in_the_callers_trace()
    {
        var spans = new LockedCollection<Activity>();
        var server = await fixture.StartServerAsync(configure: services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        // The caller's span: the test's HttpClient propagates it in traceparent.
        var traceId = ActivityTraceId.CreateRandom();
        using (new Activity("caller").SetParentId(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start())
        {
            using var response = await server.Client.GetAsync(new Uri("/api/health/live", UriKind.Relative));
            response.EnsureSuccessStatusCode();
        }

        await Eventually.UntilAsync(
            () => spans.Snapshot().Any(span => span.TraceId == traceId && span.Kind == ActivityKind.Server), "the request's span was exported",
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        var span = Assert.Single(spans.Snapshot(), span => span.TraceId == traceId && span.Kind == ActivityKind.Server);
        Assert.Equal(("Microsoft.AspNetCore", ActivityKind.Server, "/api/health/live"), (span.Source.Name, span.Kind, span.GetTagItem("url.path")));
        // The host's idle queue workers poll all the while: a poll is no trace of its own.
        Assert.DoesNotContain(spans.Snapshot(), span => span.OperationName == "QueueClient.ReceiveMessages");
    }
}
