using System.Diagnostics;

namespace InPsyq.Weekly.Telemetry;

/// <summary>
/// The W3C trace context (<c>traceparent</c>, <c>tracestate</c>) of a run's root span <c>weekly.run</c>. Every work
/// item message carries it, so the spans of each item, on whichever instance and however late, are children of the
/// run's root: one trace per run.
/// </summary>
public sealed record RunTrace(string Traceparent, string? Tracestate)
{
    /// <summary>The context of the current span, or null without one (nobody listens, or it is not in W3C format).</summary>
    public static RunTrace? Current =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id } activity ? new RunTrace(id, activity.TraceStateString) : null;

    /// <summary>The trace context a message carried, or null for a message without one (it was sent without a span).</summary>
    public static RunTrace? Of(string? traceparent, string? tracestate) => string.IsNullOrEmpty(traceparent) ? null : new RunTrace(traceparent, tracestate);

    /// <summary>The remote parent a span of the run starts under; the default (a new trace) when the text does not parse.</summary>
    public ActivityContext Parent => ActivityContext.TryParse(Traceparent, Tracestate, isRemote: true, out var parent) ? parent : default;
}
