using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// Runs worked by several real host processes (<c>serve</c>, <c>worker</c>, the CLI's <c>run-weekly</c>) on the shared
/// Postgres and Azurite queue, with this class's own database, containers and queue. Each run recomputes the demo
/// week with <c>force</c> and must store exactly what the fixture's single-process reference run stored (every row
/// now carrying the new run's id, so the comparison is of what it wrote), whichever process worked which item, and
/// whether a process was killed, stopped or interrupted in the middle of an item.
/// </summary>
[Collection(ReliabilityTests.Name)]
public sealed class DistributedRunTests(DistributedRunFixture fixture, ITestOutputHelper output) : IClassFixture<DistributedRunFixture>
{
    private static readonly TimeSpan s_runLimit = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan s_quickLlm = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan s_slowLlm = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task Three_host_processes_share_one_week_and_store_what_a_single_process_run_stores()
    {
        var settings = SettingsWithLlmLatency(s_quickLlm);
        await using var workerA = ChildHost.Start(settings, "worker");
        await using var workerB = ChildHost.Start(settings, "worker");
        await using var serve = await ChildHost.ServeAsync(settings);

        using var admitted = await PostRunAsync(serve, "{\"mode\":\"FULL\",\"force\":true}");

        // The run outlasts WEEKLY_HTTP_WAIT_SECONDS: 202 with the status URL, polled until the report is there.
        Assert.Equal(HttpStatusCode.Accepted, admitted.StatusCode);
        var runId = Guid.Parse(JsonNode.Parse(await admitted.Content.ReadAsStringAsync())!["run_id"]!.GetValue<string>());
        var report = await PollReportAsync(serve, admitted.Headers.Location!);
        Assert.Equal("completed", report["status"]!.GetValue<string>());
        var hosts = await HostsOfAsync(runId);
        output.WriteLine($"items per host: {string.Join(", ", hosts.Select(host => $"{host.Key} {host.Value}"))}");
        Assert.True(hosts.Count >= 2, $"items were worked by {hosts.Count} host(s): {string.Join(", ", hosts)}");
        Assert.Subset(new HashSet<string>([workerA.HostName, workerB.HostName, serve.HostName]), hosts.Keys.ToHashSet());
        await AssertStoredAsReferenceAsync(runId);
    }

    [Fact]
    public async Task A_worker_killed_mid_item_loses_nothing_its_item_is_redelivered_and_the_run_stores_what_an_undisturbed_run_stores()
    {
        var settings = SettingsWithLlmLatency(s_slowLlm);
        await using var victim = ChildHost.Start(settings, "worker");
        await using var survivor = ChildHost.Start(settings, "worker");
        var runId = await AdmitHereAsync();
        var (itemId, _) = await WaitForInterpretationItemHeldByAsync(victim);

        victim.Kill();

        await AssertCompletedAsReferenceAsync(runId);
        await AssertRedeliveredAsync(itemId, survivor);
    }

    [Fact]
    public async Task A_worker_stopped_with_SIGTERM_exits_0_and_its_item_comes_back_to_another_worker()
    {
        var settings = SettingsWithLlmLatency(s_slowLlm);
        await using var stopped = ChildHost.Start(settings, "worker");
        var runId = await AdmitHereAsync();
        var (itemId, _) = await WaitForInterpretationItemHeldByAsync(stopped);

        await stopped.SignalAsync("TERM");

        Assert.Equal(0, await stopped.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        // A graceful stop records nothing for the teams it did not finish and leaves the item to its message.
        Assert.Equal("running", await fixture.ScalarAsync<string>("select status from weekly_work_items where item_id = $1", itemId));
        await using var successor = ChildHost.Start(settings, "worker");
        await AssertCompletedAsReferenceAsync(runId);
        await AssertRedeliveredAsync(itemId, successor);
        Assert.Equal(0L, await fixture.ScalarAsync<long>("select count(*) from weekly_work_items where host = $1 and status <> 'final'", stopped.HostName));
    }

    [Fact]
    public async Task Run_weekly_with_no_wait_prints_the_run_id_exits_0_and_a_worker_runs_it()
    {
        var settings = SettingsWithLlmLatency(s_quickLlm);
        await using var worker = ChildHost.Start(settings, "worker");
        await using var cli = ChildHost.Start(settings, "run-weekly", "--no-wait", "--force", "--json");

        Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var printed = JsonNode.Parse(Assert.Single(cli.StandardOutput()))!;
        Assert.Equal("running", printed["status"]!.GetValue<string>());
        var runId = Guid.Parse(printed["run_id"]!.GetValue<string>());
        await AssertCompletedAsReferenceAsync(runId);
        Assert.Equal([worker.HostName], (await HostsOfAsync(runId)).Keys);
    }

    [Fact]
    public async Task Run_weekly_interrupted_with_SIGINT_exits_130_and_a_worker_finishes_its_run()
    {
        var settings = SettingsWithLlmLatency(s_slowLlm);
        await using var helper = ChildHost.Start(settings, "worker");
        await using var cli = ChildHost.Start(settings, "run-weekly", "--force");
        var (itemId, runId) = await WaitForInterpretationItemHeldByAsync(cli);

        await cli.SignalAsync("INT");

        Assert.Equal(130, await cli.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        await AssertCompletedAsReferenceAsync(runId);
        await AssertRedeliveredAsync(itemId, helper);
    }

    /// <summary>The host processes' settings, with the fake LLM answering after <paramref name="latency"/>.</summary>
    private Dictionary<string, string?> SettingsWithLlmLatency(TimeSpan latency)
    {
        fixture.Llm.Default = DistributedRunFixture.Reply(latency);
        return fixture.HostSettings;
    }

    /// <summary>Admits a forced run of the week in this process and leaves its items to the host processes.</summary>
    private async Task<Guid> AdmitHereAsync()
    {
        var result = await fixture.CreateServices(fixture.HostSettings).GetRequiredService<WeeklyRunner>()
            .RunAsync(RunnerHarness.Request(force: true), RunTrigger.Cli, CancellationToken.None, waitAtMost: TimeSpan.Zero);
        return result.RunningRunId ?? throw new InvalidOperationException($"The run was not admitted: {result.Refusal?.Code ?? result.Report?.Status.ToString()}");
    }

    /// <summary>A stage-3 item (a slow LLM call per team) that <paramref name="host"/> is working right now, and its run.</summary>
    private async Task<(Guid ItemId, Guid RunId)> WaitForInterpretationItemHeldByAsync(ChildHost host)
    {
        (Guid, Guid)? held = null;
        await Eventually.UntilAsync(async () =>
        {
            await using var command = fixture.DataSource.CreateCommand(
                "select item_id, run_id from weekly_work_items where host = $1 and status = 'running' and stage = 3 limit 1");
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = host.HostName });
            await using var reader = await command.ExecuteReaderAsync();
            held = await reader.ReadAsync() ? (reader.GetGuid(0), reader.GetGuid(1)) : null;
            return held is not null;
        }, $"{host.HostName} works a stage-3 item\n{host.Describe()}", TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(20));
        return held!.Value;
    }

    private async Task AssertCompletedAsReferenceAsync(Guid runId)
    {
        var status = "running";
        await Eventually.UntilAsync(
            async () => (status = await fixture.ScalarAsync<string>("select status from weekly_runs where run_id = $1", runId)) != "running",
            $"run {runId} is final", s_runLimit, TimeSpan.FromMilliseconds(100));
        Assert.Equal("completed", status);
        await AssertStoredAsReferenceAsync(runId);
    }

    /// <summary>The interrupted delivery's item was delivered again, to <paramref name="taker"/>, which finished it.</summary>
    private async Task AssertRedeliveredAsync(Guid itemId, ChildHost taker)
    {
        await using var command = fixture.DataSource.CreateCommand("select attempts, host, status, outcome from weekly_work_items where item_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = itemId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.True(reader.GetInt32(0) >= 2, $"item {itemId} was delivered {reader.GetInt32(0)} time(s)");
        Assert.Equal((taker.HostName, "final", "done"), (reader.GetString(1), reader.GetString(2), reader.GetString(3)));
    }

    /// <summary>
    /// The run's every team and stage has the reference run's result; every stored output of the week is this run's and
    /// equals the single-process reference (one active interpretation per team, every unit whole).
    /// </summary>
    private async Task AssertStoredAsReferenceAsync(Guid runId)
    {
        var week = RunnerHarness.LastWeek.Monday;
        Assert.Equal(fixture.ReferenceResults, await fixture.ResultsOfAsync(runId));
        Assert.Equal((0L, 0L, 0L), (
            await fixture.ScalarAsync<long>("select count(*) from weekly_aggregates where week_start = $1 and run_id <> $2", week, runId),
            await fixture.ScalarAsync<long>("select count(*) from team_series where week_start = $1 and run_id <> $2", week, runId),
            await fixture.ScalarAsync<long>("select count(*) from weekly_interpretations where week_start = $1 and is_active and run_id <> $2", week, runId)));
        Assert.Equal(0L, await fixture.ScalarAsync<long>(
            "select count(*) from (select team_id from weekly_interpretations where week_start = $1 and is_active group by team_id having count(*) > 1) twice", week));
        var attribution = fixture.BlobService.GetBlobContainerClient(fixture.AttributionContainer);
        await foreach (var blob in attribution.GetBlobsAsync())
        {
            var document = JsonNode.Parse((await attribution.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString())!;
            Assert.Equal(runId.ToString(), document["run_id"]!.GetValue<string>());
        }

        Assert.Empty(await PipelineOutputs.FindBrokenUnitsAsync(fixture.DataSource, attribution, week));
        Assert.Equal(fixture.Reference, await PipelineOutputs.SnapshotAsync(fixture.DataSource, attribution, week));
    }

    private async Task<Dictionary<string, long>> HostsOfAsync(Guid runId)
    {
        await using var command = fixture.DataSource.CreateCommand("select host, count(*) from weekly_work_items where run_id = $1 group by host");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = runId });
        await using var reader = await command.ExecuteReaderAsync();
        var hosts = new Dictionary<string, long>();
        while (await reader.ReadAsync())
        {
            hosts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return hosts;
    }

    private static Task<HttpResponseMessage> PostRunAsync(ChildHost host, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/internal/run-weekly") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
        return host.Client.SendAsync(request);
    }

    private static async Task<JsonNode> PollReportAsync(ChildHost host, Uri statusUrl)
    {
        JsonNode? body = null;
        await Eventually.UntilAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, statusUrl);
            request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
            using var response = await host.Client.SendAsync(request);
            body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            return body?["status"]?.GetValue<string>() is not (null or "running");
        }, "the status URL answers the report", s_runLimit, TimeSpan.FromMilliseconds(200));
        return body!;
    }
}
