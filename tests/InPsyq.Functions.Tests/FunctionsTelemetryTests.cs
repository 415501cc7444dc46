using System.Diagnostics;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace InPsyq.Functions.Tests;

/// <summary>
/// The Functions app exports through OpenTelemetry like the standalone host (the library's registration), with the
/// worker's defaults (its resource and invocation spans).
/// </summary>
public sealed class FunctionsTelemetryTests
{
    [Fact]
    public void The_app_traces_the_runner_source_with_the_functions_worker_resource()
    {
        var spans = new List<Activity>();
        using var host = FunctionsAppHost.Build(configure: services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var tracerProvider = host.Services.GetRequiredService<TracerProvider>();
        var traceId = ActivityTraceId.CreateRandom();

        using (WeeklyTelemetry.Source.StartActivity(WeeklyTelemetry.RunSpan, ActivityKind.Internal, new ActivityContext(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded)))
        {
        }

        tracerProvider.ForceFlush();
        lock (spans)
        {
            Assert.Contains(spans, span => span.TraceId == traceId && span.OperationName == WeeklyTelemetry.RunSpan);
        }

        var resource = tracerProvider.GetResource().Attributes.ToDictionary(attribute => attribute.Key, attribute => attribute.Value);
        // The worker's defaults mark the resource for Application Insights (the isolated worker's SDK prefix).
        Assert.StartsWith("dotnetiso:", resource.GetValueOrDefault("ai.sdk.prefix") as string, StringComparison.Ordinal);
    }
}
