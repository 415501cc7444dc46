using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Telemetry;
using InPsyq.Weekly.Tests.Infrastructure;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>A real run carries its run id, week and scope on every log line, and produces its span tree and measurements.</summary>
public sealed class RunTelemetryTests(RunTelemetryTests.Fixture fixture) : IClassFixture<RunTelemetryTests.Fixture>
{
    public sealed class Fixture : IntegrationFixture
    {
        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await ScriptedStage.CreateTableAsync(DataSource);
        }
    }

    [Fact]
    public async Task Every_line_logged_during_a_run_carries_its_run_id_week_and_scope()
    {
        var logs = new CapturingLoggerProvider();
        var harness = new RunnerHarness(fixture, logs: logs);
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(4);
        harness.Attribution.Script = (team, _) => team.TeamId == teams[1]
            ? throw new StageFailedException("INVALID_VALUE", "scripted failure")
            : Task.CompletedTask;

        var report = (await harness.RunAsync(RunnerHarness.Request(orgId: org))).Report!;

        Assert.Equal(RunStatus.Partial, report.Status);
        var entries = logs.Entries.ToList();
        Assert.Contains(entries, entry => entry.Message.Contains("failed in stage attribution", StringComparison.Ordinal));
        Assert.Contains(entries, entry => entry.Message.Contains("Released lock", StringComparison.Ordinal));
        Assert.All(entries, entry =>
        {
            Assert.Equal(report.RunId, entry.ScopeValues.GetValueOrDefault("RunId"));
            Assert.Equal(report.WeekStart, entry.ScopeValues.GetValueOrDefault("WeekStart"));
            Assert.Equal($"org:{org}", entry.ScopeValues.GetValueOrDefault("Scope"));
        });
    }

    [Fact]
    public async Task A_run_produces_run_work_item_org_stage_team_and_lock_activities_and_measurements()
    {
        using var capture = new TelemetryCapture();
        var harness = new RunnerHarness(fixture);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        var report = (await harness.RunAsync(RunnerHarness.Request(orgId: org))).Report!;

        var (run, trace) = capture.TraceOf(report.RunId);
        Assert.Equal("completed", run.GetTagItem("inpsyq.outcome"));
        Assert.Equal((report.WeekStart, "FULL"), (run.GetTagItem("inpsyq.week"), run.GetTagItem("inpsyq.mode")));
        // One work item per stage (2 teams fit one item), each a child of the run's root span, the later stages' too.
        var items = trace.Where(activity => activity.OperationName == "weekly.work_item").ToList();
        Assert.Equal(["attribution", "interpretation", "rollup"], items.Select(item => (string)item.GetTagItem("inpsyq.stage")!).Order());
        Assert.All(items, item => Assert.Equal(run.SpanId, item.ParentSpanId));
        Assert.All(items, item => Assert.Equal(org, item.GetTagItem("inpsyq.org_id")));
        var orgs = SpanTree.ChildrenOf(items, trace, "weekly.org");
        Assert.Equal(3, orgs.Count);
        var stages = SpanTree.ChildrenOf(orgs, trace, "weekly.stage");
        Assert.Equal(["attribution", "interpretation", "rollup"], stages.Select(stage => (string)stage.GetTagItem("inpsyq.stage")!).Order());
        var teamSpans = SpanTree.ChildrenOf(stages, trace, "weekly.team");
        Assert.Equal(6, teamSpans.Count);
        Assert.All(teamSpans, activity => Assert.Equal("succeeded", activity.GetTagItem("inpsyq.outcome")));
        Assert.All(teamSpans, activity => Assert.IsType<Guid>(activity.GetTagItem("inpsyq.team_id")));
        Assert.Contains(trace, activity => activity.OperationName == "weekly.lock.acquire" && Equals(activity.GetTagItem("acquired"), true));
        Assert.Contains(trace, activity => activity.OperationName == "weekly.lock.release");

        var measurements = capture.Measurements.ToList();
        Assert.Contains(measurements, m => m.Instrument == "inpsyq.runs" && Equals(m.Tags["outcome"], "completed") && Equals(m.Tags["mode"], "FULL"));
        Assert.Contains(measurements, m => m.Instrument == "inpsyq.run.duration");
        Assert.Contains(measurements, m => m.Instrument == "inpsyq.lock.acquisitions" && Equals(m.Tags["result"], "acquired"));
        foreach (var stage in new[] { "rollup", "attribution", "interpretation" })
        {
            Assert.Contains(measurements, m => m.Instrument == "inpsyq.team.duration" && Equals(m.Tags["stage"], stage));
        }
    }

    [Fact]
    public async Task A_failed_team_is_an_error_span_counted_by_stage_and_code_and_the_run_outcome_is_partial()
    {
        using var capture = new TelemetryCapture();
        var harness = new RunnerHarness(fixture);
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        harness.Interpretation.Script = (team, _) => team.TeamId == teams[1]
            ? throw new StageFailedException("SCRIPTED_TELEMETRY_FAILURE", "scripted failure")
            : Task.CompletedTask;

        var report = (await harness.RunAsync(RunnerHarness.Request(orgId: org))).Report!;

        var (run, trace) = capture.TraceOf(report.RunId);
        Assert.Equal("partial", run.GetTagItem("inpsyq.outcome"));
        var failed = Assert.Single(trace, activity => activity.OperationName == "weekly.team" && activity.Status == ActivityStatusCode.Error);
        Assert.Equal((teams[1], "interpretation", "failed"), (failed.GetTagItem("inpsyq.team_id"), failed.GetTagItem("inpsyq.stage"), failed.GetTagItem("inpsyq.outcome")));
        var measurements = capture.Measurements.ToList();
        Assert.Single(measurements, m => m.Instrument == "inpsyq.teams.failed" && Equals(m.Tags["code"], "SCRIPTED_TELEMETRY_FAILURE") && Equals(m.Tags["stage"], "interpretation"));
        Assert.Contains(measurements, m => m.Instrument == "inpsyq.runs" && Equals(m.Tags["outcome"], "partial"));
    }

    /// <summary>Every <c>InPsyq.Weekly</c> activity and measurement while it lives (of every test running meanwhile).</summary>
    private sealed class TelemetryCapture : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _activities = new();
        private readonly ActivityListener _activityListener;
        private readonly MeterListener _meterListener;

        public TelemetryCapture()
        {
            _activityListener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == WeeklyTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _activities.Enqueue,
            };
            ActivitySource.AddActivityListener(_activityListener);
            _meterListener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == WeeklyTelemetry.Name)
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _meterListener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            _meterListener.Start();
        }

        public ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

        /// <summary>The run's root span and every span of its trace (other test classes run at the same time).</summary>
        public (Activity Run, List<Activity> Trace) TraceOf(Guid runId)
        {
            var run = Assert.Single(_activities, activity => activity.OperationName == "weekly.run" && Equals(activity.GetTagItem("inpsyq.run_id"), runId));
            return (run, _activities.Where(activity => activity.TraceId == run.TraceId).ToList());
        }

        public void Dispose()
        {
            _activityListener.Dispose();
            _meterListener.Dispose();
        }

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            Measurements.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(tag => tag.Key, tag => tag.Value)));
    }
}
