using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace InPsyq.Weekly.Telemetry;

/// <summary>
/// The OpenTelemetry-compatible sources of the weekly runner, both named <c>InPsyq.Weekly</c>: activities for runs,
/// orgs, team-stages and lock operations, and metrics for runs, team-stage durations and locks. An exporter subscribes
/// by name (<c>AddSource</c>/<c>AddMeter</c>); without one, every call here is a cheap no-op. LLM calls add their own
/// activities on <see cref="Source"/>.
/// </summary>
public static class WeeklyTelemetry
{
    public const string Name = "InPsyq.Weekly";

    private static readonly string? s_version =
        typeof(WeeklyTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public static ActivitySource Source { get; } = new(Name, s_version);

    public static Meter Meter { get; } = new(Name, s_version);

    private static readonly Counter<long> s_runs =
        Meter.CreateCounter<long>("inpsyq.weekly.runs", "{run}", "Audited runs by final status, trigger and mode.");

    private static readonly Histogram<long> s_runDuration =
        Meter.CreateHistogram<long>("inpsyq.weekly.run.duration", "ms", "Duration of audited runs.");

    private static readonly Histogram<long> s_teamStageDuration =
        Meter.CreateHistogram<long>("inpsyq.weekly.team_stage.duration", "ms", "Duration of one team's stage, by stage and status.");

    private static readonly Counter<long> s_lockAcquisitions =
        Meter.CreateCounter<long>("inpsyq.weekly.lock.acquisitions", "{attempt}", "Lock acquisition attempts, by result (acquired or busy).");

    private static readonly Counter<long> s_lockLosses =
        Meter.CreateCounter<long>("inpsyq.weekly.lock.losses", "{lock}", "Locks lost because a renewal failed.");

    public static void RecordRun(string status, string trigger, string mode, long durationMs)
    {
        var tags = new TagList { { "status", status }, { "trigger", trigger }, { "mode", mode } };
        s_runs.Add(1, tags);
        s_runDuration.Record(durationMs, tags);
    }

    public static void RecordTeamStage(string stage, string status, long durationMs) =>
        s_teamStageDuration.Record(durationMs, new TagList { { "stage", stage }, { "status", status } });

    public static void RecordLockAttempt(bool acquired) =>
        s_lockAcquisitions.Add(1, new KeyValuePair<string, object?>("result", acquired ? "acquired" : "busy"));

    public static void RecordLockLost() => s_lockLosses.Add(1);
}
