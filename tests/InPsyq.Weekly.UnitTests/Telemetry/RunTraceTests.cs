using System.Diagnostics;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;

namespace InPsyq.Weekly.UnitTests.Telemetry;

/// <summary>A work item message carries its run's W3C trace context, and a message without one is read all the same.</summary>
public sealed class RunTraceTests
{
    private const string Traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void A_message_carries_traceparent_and_tracestate_and_they_parse_as_the_remote_parent()
    {
        var runId = Guid.NewGuid();
        var itemId = Guid.NewGuid();

        var read = WorkMessage.FromJson(WorkMessage.For(runId, itemId, new RunTrace(Traceparent, "congo=t61rcWkgMzE")).ToJson())!;

        Assert.Equal((runId, itemId, Traceparent, "congo=t61rcWkgMzE"), (read.RunId, read.ItemId, read.Traceparent, read.Tracestate));
        var parent = read.Trace!.Parent;
        Assert.Equal(("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", ActivityTraceFlags.Recorded, "congo=t61rcWkgMzE", true),
            (parent.TraceId.ToHexString(), parent.SpanId.ToHexString(), parent.TraceFlags, parent.TraceState, parent.IsRemote));
    }

    [Fact]
    public void A_message_without_trace_context_is_read_and_has_no_trace()
    {
        var runId = Guid.NewGuid();
        var itemId = Guid.NewGuid();

        var read = WorkMessage.FromJson($$"""{"v":1,"run_id":"{{runId}}","item_id":"{{itemId}}"}""");

        Assert.Equal(new WorkMessage(runId, itemId), read);
        Assert.Null(read!.Trace);
        Assert.DoesNotContain("tracestate", WorkMessage.For(runId, itemId, trace: null).ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unparsable_traceparent_starts_a_new_trace()
    {
        Assert.Equal(default, new RunTrace("not-a-traceparent", null).Parent);
    }

    [Fact]
    public void The_current_trace_is_the_current_span_in_w3c_format()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == nameof(RunTraceTests),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource(nameof(RunTraceTests));
        using var activity = source.StartActivity("root")!;
        activity.TraceStateString = "vendor=value";

        Assert.Equal(new RunTrace(activity.Id!, "vendor=value"), RunTrace.Current);
    }
}
