using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Interpretation;
using InPsyq.Weekly.Tests.Reliability;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.LlmQuota;

/// <summary>
/// The governor across real host processes: <c>worker</c> (and, after a restart, <c>serve</c>) children of the
/// standalone host on one database and one work queue, working INTERPRETATION_ONLY runs of the week (ten LLM calls
/// each, in items of two teams) that this process admits, against one fake deployment. Every host has its own API
/// key, so the fake tells their requests apart; the hosts share nothing but Postgres and the queue.
/// </summary>
[Collection(LlmQuotaTests.Name)]
public sealed class LlmQuotaProcessTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>, IAsyncLifetime
{
    private const int Runs = 4;
    private const int CallsPerRun = 10;
    private static readonly TimeSpan s_latency = TimeSpan.FromMilliseconds(100);
    private FakeOpenAIServer _llm = null!;

    public async Task InitializeAsync()
    {
        // The demo tenant with its stage-2 output, so the runs are stage 3 alone.
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, RunnerHarness.LastWeek, CancellationToken.None);
        var pipeline = await fixture.CreateServices().GetRequiredService<WeeklyRunner>()
            .RunAsync(RunnerHarness.Request(RunMode.PipelineOnly), RunTrigger.Cli, CancellationToken.None);
        Assert.Equal(RunStatus.Completed, pipeline.Report!.Status);
        _llm = await FakeOpenAIServer.StartAsync();
        _llm.Default = _llm.Default with { Delay = s_latency };
        // Each test starts from a deployment no host has seen (the class shares one database).
        await using var forget = fixture.DataSource.CreateCommand("delete from llm_quota_events; delete from llm_quota");
        await forget.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync() => await _llm.DisposeAsync();

    [Fact]
    public async Task Two_hosts_under_a_quota_never_exceed_it_and_use_it()
    {
        // 120 requests/min: the service allows a burst of 20, then 2/s; the governor sends 16 (it holds 2 s back), then 2/s,
        // for both hosts together; each host alone could send 40/s.
        var quota = _llm.Limit("gpt-test", 120, 0);
        await using var first = ChildHost.Start(HostSettings("key-first", requestsPerMinute: 120), "worker");
        await using var second = ChildHost.Start(HostSettings("key-second", requestsPerMinute: 120), "worker");

        await RunAllAsync(Runs);

        var arrivals = quota.Arrivals;
        var minutes = string.Join("; ", quota.Windows());
        Assert.True(quota.Refused == 0, $"the fake refused {quota.Refused} requests; per minute: {minutes}");
        // Never beyond the quota: by any moment, at most the burst plus the per-minute rate since the first request.
        for (var i = 0; i < arrivals.Count; i++)
        {
            var allowed = 20 + (2 * (arrivals[i].At - arrivals[0].At).TotalSeconds) + 1;
            Assert.True(i + 1 <= allowed, $"{i + 1} requests {(arrivals[i].At - arrivals[0].At).TotalSeconds:0.0} s after the first; the quota allows {allowed:0}");
        }

        // And used: 40 calls, 16 of them in the burst, the rest at 2/s.
        var span = arrivals[^1].At - arrivals[0].At;
        Assert.InRange(span, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(16));
        Assert.Equal(["key-first", "key-second"], _llm.Requests.Select(request => request.ApiKey!).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(2, await fixture.CountAsync("(select distinct host_id from llm_quota_events) hosts"));
    }

    [Fact]
    public async Task A_burst_of_429s_pauses_both_hosts_until_its_retry_time_and_no_team_fails()
    {
        await using var first = ChildHost.Start(HostSettings("key-first", requestsPerMinute: 600), "worker");
        await using var second = ChildHost.Start(HostSettings("key-second", requestsPerMinute: 600), "worker");
        // Azure OpenAI refuses three calls in a row for 6 s once both hosts are under way.
        var throttle = Task.Run(async () =>
        {
            await Eventually.UntilAsync(() => _llm.Requests.Select(request => request.ApiKey).Distinct().Count() == 2 && _llm.Requests.Count >= 6,
                "both hosts called the LLM", TimeSpan.FromSeconds(60));
            _llm.Script(FakeReply.Error(429, retryAfter: "6"), FakeReply.Error(429, retryAfter: "6"), FakeReply.Error(429, retryAfter: "6"));
        });

        await RunAllAsync(Runs);
        await throttle;

        var requests = _llm.Requests.OrderBy(request => request.ReceivedAt).ToList();
        var refused = requests.Where(request => request.Status == 429).Select(request => request.ReceivedAt).ToList();
        Assert.Equal(3, refused.Count);
        // After each 429, calls already admitted (in flight, or leased up to 2 s before it) may still arrive, and may meet
        // the next scripted 429 (which extends the pause); after that, silence from every host until its retry time.
        foreach (var at in refused)
        {
            var during = requests.Where(request => request.ReceivedAt > at + TimeSpan.FromSeconds(2.5) && request.ReceivedAt < at + TimeSpan.FromSeconds(5.8)).ToList();
            Assert.True(during.Count == 0, $"{during.Count} requests during the pause of the 429 at {at:HH:mm:ss.fff}, from {string.Join(", ", during.Select(request => request.ApiKey).Distinct())}");
        }

        var after = requests.Where(request => request.ReceivedAt >= refused[^1] + TimeSpan.FromSeconds(5.8)).Select(request => request.ApiKey).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(["key-first", "key-second"], after);
    }

    [Fact]
    public async Task The_pause_and_rate_survive_a_restart_of_the_host()
    {
        var settings = HostSettings("key-first", requestsPerMinute: 600);
        _llm.Script(FakeReply.Error(429, retryAfter: "10"));
        var killed = ChildHost.Start(settings, "worker");
        var runId = await AdmitAsync();
        await Eventually.UntilAsync(async () => await fixture.CountAsync("llm_quota where paused_until is not null") == 1,
            "the 429's pause was stored", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50));
        killed.Kill();
        await killed.DisposeAsync();
        var killedAt = DateTimeOffset.UtcNow;
        await using var pausedUntilCommand = fixture.DataSource.CreateCommand("select paused_until from llm_quota");
        var pausedUntil = (DateTime)(await pausedUntilCommand.ExecuteScalarAsync())!;

        // The restarted host takes the killed host's item once its message is visible again.
        await using var restarted = await ChildHost.ServeAsync(settings);
        using var health = new HttpRequestMessage(HttpMethod.Get, "/api/internal/health/weekly");
        health.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
        using var answer = await restarted.Client.SendAsync(health);
        var llm = (await answer.Content.ReadFromJsonAsync<JsonObject>())!["checks"]!["llm"]!;
        await AssertCompletedAsync(runId);

        var message = (string)llm["message"]!;
        Assert.True(message.Contains("paused until", StringComparison.Ordinal) && message.Contains("at 50 % of the quota", StringComparison.Ordinal), message);
        var resumed = _llm.Requests.Where(request => request.ReceivedAt > killedAt).Min(request => request.ReceivedAt);
        Assert.True(resumed >= new DateTimeOffset(pausedUntil, TimeSpan.Zero) - TimeSpan.FromMilliseconds(100),
            $"the restarted host called at {resumed:HH:mm:ss.fff}, before the stored pause ended at {pausedUntil:HH:mm:ss.fff}");
    }

    private Dictionary<string, string?> HostSettings(string apiKey, int requestsPerMinute)
    {
        var settings = new Dictionary<string, string?>(fixture.Settings);
        foreach (var (key, value) in InterpretationHarness.LlmSettings(_llm, concurrency: 4, timeoutSeconds: 10))
        {
            settings[key] = value;
        }

        settings["AZURE_OPENAI_API_KEY"] = apiKey;
        settings["LLM_REQUESTS_PER_MINUTE"] = requestsPerMinute.ToString(CultureInfo.InvariantCulture);
        settings["WEEKLY_TEAM_PARALLELISM"] = "4";
        settings["WEEKLY_WORK_ITEM_TEAMS"] = "2";
        settings["WEEKLY_WORKERS"] = "1";
        settings["WEEKLY_WORK_POLL_SECONDS"] = "0.2";
        settings["WEEKLY_WORK_VISIBILITY_SECONDS"] = "3";
        settings["WEEKLY_WORK_RENEW_SECONDS"] = "1";
        settings["WEEKLY_RUN_HEARTBEAT_SECONDS"] = "1";
        return settings;
    }

    /// <summary><paramref name="runs"/> forced INTERPRETATION_ONLY runs of the week, one after the other, each complete with every interpretation written.</summary>
    private async Task RunAllAsync(int runs)
    {
        for (var run = 0; run < runs; run++)
        {
            await AssertCompletedAsync(await AdmitAsync());
        }
    }

    private async Task<Guid> AdmitAsync()
    {
        var result = await fixture.CreateServices().GetRequiredService<WeeklyRunner>()
            .RunAsync(RunnerHarness.Request(RunMode.InterpretationOnly, force: true), RunTrigger.Cli, CancellationToken.None, waitAtMost: TimeSpan.Zero);
        return result.RunningRunId ?? throw new InvalidOperationException($"The run was not admitted: {result.Refusal?.Code ?? result.Report?.Status.ToString()}");
    }

    private async Task AssertCompletedAsync(Guid runId)
    {
        var status = "running";
        await Eventually.UntilAsync(
            async () => (status = await fixture.ScalarAsync<string>("select status from weekly_runs where run_id = $1", runId)) != "running",
            $"run {runId} is final", TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(100));
        Assert.Equal("completed", status);
        Assert.Equal(CallsPerRun, await fixture.ScalarAsync<long>("select count(*) from weekly_interpretations where run_id = $1", runId));
    }
}
