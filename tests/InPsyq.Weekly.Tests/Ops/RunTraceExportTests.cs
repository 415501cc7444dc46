using System.Diagnostics;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Telemetry;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Interpretation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>
/// What the OpenTelemetry SDK exports of a real FULL run (real stages, Postgres, Azurite, Azure OpenAI's fake): one
/// trace from the run's root span through every work item to each team, the LLM calls with their token counts, the
/// Postgres and HTTP calls as dependencies, the logs in their spans, and the run metrics.
/// </summary>
public sealed class RunTraceExportTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_run_exports_one_trace_from_its_root_to_every_team_with_llm_tokens_dependencies_logs_and_its_metrics()
    {
        var week = RunnerHarness.LastWeek;
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, week, CancellationToken.None);
        await using var llm = await FakeOpenAIServer.StartAsync();
        var spans = new LockedCollection<Activity>();
        var metrics = new LockedCollection<Metric>();
        var logs = new LockedCollection<LogRecord>();
        var services = fixture.CreateServices(InterpretationHarness.LlmSettings(llm, timeoutSeconds: 10), services => services
            .AddWeeklyTelemetry(new ConfigurationBuilder().Build())
            .WithTracing(tracing => tracing.AddInMemoryExporter(spans))
            .WithMetrics(meters => meters.AddInMemoryExporter(metrics))
            .WithLogging(logging => logging.AddInMemoryExporter(logs)));
        var tracerProvider = services.GetRequiredService<TracerProvider>();
        var meterProvider = services.GetRequiredService<MeterProvider>();

        var report = (await services.GetRequiredService<WeeklyRunner>()
            .RunAsync(new RunRequest(week, null, null, RunMode.Full, false, false), RunTrigger.Cli, CancellationToken.None)).Report!;
        tracerProvider.ForceFlush();
        meterProvider.ForceFlush();

        Assert.Equal(RunStatus.Completed, report.Status);
        // Other test classes run at the same time and their spans are exported too: keep this run's trace only.
        var root = Assert.Single(spans.Snapshot(), span => span.OperationName == WeeklyTelemetry.RunSpan && Equals(span.GetTagItem("inpsyq.run_id"), report.RunId));
        var trace = spans.Snapshot().Where(span => span.TraceId == root.TraceId).ToList();
        Assert.Equal(default, root.ParentSpanId);
        Assert.Equal((report.WeekStart, "FULL", "completed"), (root.GetTagItem("inpsyq.week"), root.GetTagItem("inpsyq.mode"), root.GetTagItem("inpsyq.outcome")));

        var items = trace.Where(span => span.OperationName == WeeklyTelemetry.WorkItemSpan).ToList();
        Assert.All(items, item => Assert.Equal(root.SpanId, item.ParentSpanId));
        Assert.Equal(["attribution", "interpretation", "rollup"], items.Select(item => (string)item.GetTagItem("inpsyq.stage")!).Distinct().Order());
        var orgs = SpanTree.ChildrenOf(items, trace, WeeklyTelemetry.OrgSpan);
        Assert.Equal(items.Count, orgs.Count);
        var stages = SpanTree.ChildrenOf(orgs, trace, WeeklyTelemetry.StageSpan);
        Assert.Equal(items.Count, stages.Count);
        var teams = SpanTree.ChildrenOf(stages, trace, WeeklyTelemetry.TeamSpan);
        Assert.Equal(report.Teams.Count * 3, teams.Count);
        Assert.Equal(report.Teams.Select(team => team.TeamId).Order(), teams.Select(team => (Guid)team.GetTagItem("inpsyq.team_id")!).Distinct().Order());

        var chats = SpanTree.ChildrenOf(teams.Where(team => Equals(team.GetTagItem("inpsyq.stage"), "interpretation")), trace, WeeklyTelemetry.LlmChatSpan);
        Assert.Equal(report.Counts.InterpretationsWritten, chats.Count);
        Assert.All(chats, chat => Assert.Equal((ActivityKind.Client, 120L, 80L, "gpt-test"),
            (chat.Kind, chat.GetTagItem("gen_ai.usage.input_tokens"), chat.GetTagItem("gen_ai.usage.output_tokens"), chat.GetTagItem("gen_ai.request.model"))));
        // The dependencies: each chat's HTTP call, and Postgres commands inside the items.
        Assert.All(chats, chat => Assert.Contains(trace, span => span.Source.Name == "System.Net.Http" && span.ParentSpanId == chat.SpanId));
        Assert.Contains(trace, span => span.Source.Name == "Npgsql" && span.Kind == ActivityKind.Client);

        // Logs go through OpenTelemetry too, each in the span it was written in, with the run's log scope.
        var finished = Assert.Single(logs.Snapshot(), log => log.TraceId == root.TraceId && log.FormattedMessage?.StartsWith("Run finished", StringComparison.Ordinal) == true);
        Assert.Equal(root.SpanId, finished.SpanId);
        var scopes = new List<KeyValuePair<string, object?>>();
        finished.ForEachScope(
            (scope, _) =>
            {
                foreach (var pair in scope)
                {
                    scopes.Add(pair);
                }
            },
            (object?)null);
        Assert.Contains(new KeyValuePair<string, object?>("RunId", report.RunId), scopes);

        var runs = PointsOf(metrics, "inpsyq.runs");
        Assert.Contains(runs, point => Equals(TagOf(point, "outcome"), "completed") && Equals(TagOf(point, "trigger"), "cli") && point.GetSumLong() >= 1);
        var runDuration = Assert.Single(metrics.Snapshot(), metric => metric.Name == "inpsyq.run.duration");
        Assert.Equal("s", runDuration.Unit);
        Assert.Contains(PointsOf(metrics, "inpsyq.run.duration"), point => Equals(TagOf(point, "outcome"), "completed") && point.GetHistogramCount() >= 1);
        Assert.Equal(["attribution", "interpretation", "rollup"],
            PointsOf(metrics, "inpsyq.team.duration").Select(point => (string)TagOf(point, "stage")!).Distinct().Order());
        var tokens = PointsOf(metrics, "inpsyq.llm.tokens");
        Assert.True(tokens.Where(point => Equals(TagOf(point, "kind"), "input")).Sum(point => point.GetSumLong()) >= 120L * chats.Count);
        Assert.True(tokens.Where(point => Equals(TagOf(point, "kind"), "output")).Sum(point => point.GetSumLong()) >= 80L * chats.Count);
    }

    private static List<MetricPoint> PointsOf(LockedCollection<Metric> metrics, string name)
    {
        var points = new List<MetricPoint>();
        foreach (var metric in metrics.Snapshot().Where(metric => metric.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                points.Add(point);
            }
        }

        return points;
    }

    private static object? TagOf(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value;
            }
        }

        return null;
    }
}
