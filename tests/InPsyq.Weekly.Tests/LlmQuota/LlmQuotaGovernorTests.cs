using System.Collections.Concurrent;
using System.Diagnostics;
using InPsyq.Weekly.LlmQuota;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace InPsyq.Weekly.Tests.LlmQuota;

/// <summary>
/// The governor against the real Postgres, in this process: independent governor instances (each with its own state
/// and host id, as separate processes have) share one database. Separate host processes are in the process tests;
/// these check what a process does not show from outside (leases, the fallback, exact rates).
/// </summary>
[Collection(LlmQuotaTests.Name)]
public sealed class LlmQuotaGovernorTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>, IAsyncLifetime
{
    private static readonly LlmCallCost s_call = new(4000, 1000, 500);
    private readonly List<IAsyncDisposable> _owned = [];

    // Each test its own deployment: the class's tests share a database.
    private readonly string _deployment = $"127.0.0.1:1/gpt-{Guid.NewGuid():N}";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_governors_sharing_the_database_admit_together_the_burst_plus_the_quota_rate_and_no_more()
    {
        // 600 requests/min: a burst of 80, then 10/s, for both instances together.
        var limits = new QuotaLimits(600, 0);
        var first = Governor("host-a", limits);
        var second = Governor("host-b", limits);
        var admitted = new ConcurrentQueue<(string Host, long At)>();
        var started = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(6));

        await Task.WhenAll(Enumerable.Range(0, 16).Select(caller => CallAsync(caller % 2 == 0 ? first : second, caller % 2 == 0 ? "host-a" : "host-b")));
        var elapsed = started.Elapsed.TotalSeconds;

        var leases = await ScalarAsync($"select count(*) from llm_quota_events where kind = 'lease' and deployment = '{_deployment}'");
        Assert.InRange(admitted.Count, 80 + (10 * elapsed) - 25, 80 + (10 * elapsed) + 1);
        foreach (var host in (string[])["host-a", "host-b"])
        {
            // Hosts take turns (each leases at most its share of 2 s of quota); the burst goes to whoever asks first.
            Assert.True(admitted.Count(call => call.Host == host) > admitted.Count / 10, $"{host} got too small a share");
        }

        Assert.True(leases < admitted.Count / 3, $"{leases} leases for {admitted.Count} admissions: the shared row must not be touched per call");
        Assert.Equal(2, (await first.ReadSharedStateAsync(CancellationToken.None))!.LiveHosts);

        async Task CallAsync(LlmQuotaGovernor governor, string host)
        {
            try
            {
                while (true)
                {
                    await governor.AdmitAsync(s_call, stop.Token);
                    admitted.Enqueue((host, Stopwatch.GetTimestamp()));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
    }

    [Fact]
    public async Task Without_a_quota_admission_never_waits_and_never_reaches_the_database()
    {
        var time = new FakeTimeProvider();
        var governor = QuotaGovernors.Ungoverned(time);

        // Its store's data source points at a closed port: any database call would fail or wait.
        var admissions = Enumerable.Range(0, 1000).Select(_ => governor.AdmitAsync(s_call, CancellationToken.None)).ToList();
        var throttled = governor.ThrottledAsync(TimeSpan.FromSeconds(3), CancellationToken.None);
        var paused = governor.AdmitAsync(s_call, CancellationToken.None);
        var beforeRetryTime = paused.IsCompleted;
        time.Advance(TimeSpan.FromSeconds(3));

        Assert.All(admissions, admission => Assert.True(admission.IsCompletedSuccessfully));
        Assert.True(throttled.IsCompletedSuccessfully);
        Assert.False(beforeRetryTime, "a 429 pauses this host's admissions until its retry time");
        await paused;
        Assert.Null(await governor.ReadSharedStateAsync(CancellationToken.None));
        Assert.Equal(new LlmQuotaHostStatus(false, true, 1, TimeSpan.Zero, new QuotaAmount(1001, 1001 * 1500), 1), governor.HostStatus());
    }

    [Fact]
    public async Task A_429_on_one_host_pauses_every_host_until_its_retry_time_and_halves_the_rate()
    {
        var limits = new QuotaLimits(600, 0);
        var first = Governor("host-a", limits);
        var second = Governor("host-b", limits);
        await first.AdmitAsync(s_call, CancellationToken.None);

        await first.ThrottledAsync(TimeSpan.FromSeconds(3), CancellationToken.None);
        var waited = Stopwatch.StartNew();
        await second.AdmitAsync(s_call, CancellationToken.None);

        Assert.True(waited.Elapsed >= TimeSpan.FromSeconds(2.5), $"the other host was admitted after {waited.Elapsed.TotalSeconds:0.0} s of a 3 s pause");
        var shared = (await first.ReadSharedStateAsync(CancellationToken.None))!;
        Assert.InRange(shared.RateFactor, 0.5, 0.6);
        Assert.Equal(1, shared.ThrottlesLastTenMinutes);
    }

    [Fact]
    public async Task Waiting_for_admission_honours_the_callers_token()
    {
        var governor = Governor("host-a", new QuotaLimits(600, 0));
        await governor.ThrottledAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        var waited = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await governor.AdmitAsync(s_call, deadline.Token));

        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task When_postgres_does_not_answer_within_2_s_a_host_admits_alone_at_the_quota_divided_by_the_live_hosts_until_it_answers()
    {
        await using var proxy = PostgresProxy.Start(fixture.PostgresConnectionString);
        await using var dataSource = NpgsqlDataSource.Create(proxy.ConnectionString);
        var limits = new QuotaLimits(1200, 0);
        // Another host leased a moment ago: two live hosts.
        await Governor("host-b", limits).AdmitAsync(s_call, CancellationToken.None);
        var governor = Governor("host-a", limits, dataSource);
        await governor.AdmitAsync(s_call, CancellationToken.None);
        await DrainAsync(governor);
        // Idle a moment: what follows waits for Postgres, not for a refill already under way.
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        proxy.Freeze();
        var frozen = Stopwatch.StartNew();
        var admitted = new ConcurrentQueue<TimeSpan>();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(7)))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                try
                {
                    while (true)
                    {
                        await governor.AdmitAsync(s_call, stop.Token);
                        admitted.Enqueue(frozen.Elapsed);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }));
        }

        var status = governor.HostStatus();
        proxy.Thaw();
        await Eventually.UntilAsync(async () =>
        {
            await governor.AdmitAsync(s_call, CancellationToken.None);
            return governor.HostStatus().Shared;
        }, "the host used the shared state again", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));

        Assert.Equal((false, 2), (status.Shared, status.LiveHosts));
        var times = admitted.Order().ToList();
        var longestWait = times.Zip(times.Skip(1), (before, after) => after - before).DefaultIfEmpty(times.FirstOrDefault()).Max();
        Assert.True(longestWait < TimeSpan.FromSeconds(3), $"admission stopped for {longestWait.TotalSeconds:0.0} s: the host must not wait for Postgres longer than 2 s");
        // 1200/min ÷ 2 live hosts = 10/s, from empty local buckets, once the fallback runs (at most 2 s + a refill).
        var rate = times.Count(at => at > TimeSpan.FromSeconds(3)) / (frozen.Elapsed.TotalSeconds - 3);
        Assert.True(rate is >= 5 and <= 11, $"{rate:0.0} admissions/s alone; its share is 10/s (the whole quota would be 20/s)");
    }

    private LlmQuotaGovernor Governor(string host, QuotaLimits limits, NpgsqlDataSource? dataSource = null)
    {
        var governor = new LlmQuotaGovernor(
            new LlmQuotaSettings(_deployment, "gpt-test", limits, 500, TimeSpan.FromSeconds(2)),
            new LlmQuotaStore(dataSource ?? fixture.DataSource),
            host,
            TimeProvider.System,
            NullLogger<LlmQuotaGovernor>.Instance);
        _owned.Add(governor);
        return governor;
    }

    /// <summary>Takes the rest of the burst, so what follows runs at the refill rate.</summary>
    private static async Task DrainAsync(LlmQuotaGovernor governor)
    {
        while (governor.HostStatus().AdmittedLastMinute.Requests < 205)
        {
            await governor.AdmitAsync(s_call, CancellationToken.None);
        }
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var command = fixture.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
