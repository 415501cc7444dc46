using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Telemetry;
using InPsyq.Weekly.Tests.Infrastructure;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>A real run carries its run id, week and scope on every log line, and produces activities and measurements.</summary>
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
    public async Task A_run_produces_run_work_item_team_stage_and_lock_activities_and_measurements()
    {
        var activities = new ConcurrentQueue<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WeeklyTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(activityListener);
        var measurements = new ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == WeeklyTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            measurements.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(tag => tag.Key, tag => tag.Value))));
        meterListener.Start();

        var harness = new RunnerHarness(fixture);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        var report = (await harness.RunAsync(RunnerHarness.Request(orgId: org))).Report!;

        // Other test classes run at the same time: keep this run's trace only.
        var run = Assert.Single(activities, activity => activity.OperationName == "weekly.run" && Equals(activity.GetTagItem("run_id"), report.RunId));
        var trace = activities.Where(activity => activity.TraceId == run.TraceId).ToList();
        Assert.Equal("completed", run.GetTagItem("status"));
        // One work item per stage (2 teams fit one item), each in the trace of the run that created it.
        var items = trace.Where(activity => activity.OperationName == "weekly.work_item").ToList();
        Assert.Equal(["attribution", "interpretation", "rollup"], items.Select(item => (string)item.GetTagItem("stage")!).Order());
        Assert.Equal(run.SpanId, items.Single(item => Equals(item.GetTagItem("stage"), "rollup")).ParentSpanId);
        Assert.All(items, item => Assert.Equal(org, item.GetTagItem("org_id")));
        var teamStages = trace.Where(activity => activity.OperationName == "weekly.team_stage").ToList();
        Assert.Equal(6, teamStages.Count);
        Assert.All(teamStages, activity => Assert.Contains(activity.ParentSpanId, items.Select(item => item.SpanId)));
        Assert.All(teamStages, activity => Assert.Equal("succeeded", activity.GetTagItem("status")));
        Assert.Contains(trace, activity => activity.OperationName == "weekly.lock.acquire" && Equals(activity.GetTagItem("acquired"), true));
        Assert.Contains(trace, activity => activity.OperationName == "weekly.lock.release");

        Assert.Contains(measurements, m => m.Instrument == "inpsyq.weekly.runs" && Equals(m.Tags["status"], "completed") && Equals(m.Tags["mode"], "FULL"));
        Assert.Contains(measurements, m => m.Instrument == "inpsyq.weekly.run.duration");
        Assert.Contains(measurements, m => m.Instrument == "inpsyq.weekly.lock.acquisitions" && Equals(m.Tags["result"], "acquired"));
        foreach (var stage in new[] { "rollup", "attribution", "interpretation" })
        {
            Assert.Contains(measurements, m => m.Instrument == "inpsyq.weekly.team_stage.duration" && Equals(m.Tags["stage"], stage));
        }
    }
}
