using System.Diagnostics;
using System.Net;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace InPsyq.Weekly.Tests.Locking;

/// <summary>The weekly lock on real Azurite leases, with fenced writes in real Postgres.</summary>
public sealed class LockingTests(ScriptedStageFixture fixture) : IClassFixture<ScriptedStageFixture>
{
    [Fact]
    public async Task Of_20_concurrent_triggers_for_one_week_exactly_one_runs_and_the_rest_get_409_fast()
    {
        var week = RunnerHarness.LastWeek.AddWeeks(-1);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        // The winner stays busy on this test's teams; the whole-week run also meets the other tests' teams, quickly.
        var rollup = new ScriptedStage(PipelineStage.Rollup) { Script = (team, ct) => team.OrgId == org ? Task.Delay(2000, ct) : Task.CompletedTask };
        await using var server = await fixture.StartServerAsync(configure: services => services.AddSingleton<IPipelineStage>(rollup));
        await WarmUpRefusalPathAsync(server, RunnerHarness.LastWeek.AddWeeks(-9));

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            var stopwatch = Stopwatch.StartNew();
            using var response = await TriggerAsync(server, week);
            return (response.StatusCode, Elapsed: stopwatch.Elapsed, RetryAfter: response.Headers.RetryAfter?.Delta);
        }));

        Assert.Single(attempts, attempt => attempt.StatusCode == HttpStatusCode.OK);
        var refused = attempts.Where(attempt => attempt.StatusCode != HttpStatusCode.OK).ToList();
        Assert.Equal(19, refused.Count);
        Assert.All(refused, attempt =>
        {
            Assert.Equal(HttpStatusCode.Conflict, attempt.StatusCode);
            // The client's clock also counts 20 requests queueing on two cores; the server's own time is below.
            Assert.True(attempt.Elapsed < TimeSpan.FromSeconds(5), $"a refusal took {attempt.Elapsed.TotalMilliseconds} ms");
            Assert.InRange(attempt.RetryAfter!.Value.TotalSeconds, 1, 15);
        });

        await using var command = fixture.DataSource.CreateCommand("select status, count(*) from weekly_runs where week_start = $1 group by status order by status");
        command.Parameters.Add(new() { Value = week.Monday });
        await using var reader = await command.ExecuteReaderAsync();
        var statuses = new Dictionary<string, long>();
        while (await reader.ReadAsync())
        {
            statuses[reader.GetString(0)] = reader.GetInt64(1);
        }

        Assert.Equal(new Dictionary<string, long> { ["completed"] = 1, ["locked"] = 19 }, statuses);
        Assert.Equal(0, await fixture.CountAsync($"weekly_runs where week_start = '{week}' and status = 'locked' and coalesce(duration_ms, 1000000) >= 1000"));
    }

    /// <summary>
    /// "Fast" is about the lock, not about a cold process: the first requests of a fresh host JIT-compile the whole
    /// path and open their first connections, which on two loaded cores takes about a second by itself.
    /// </summary>
    private static async Task WarmUpRefusalPathAsync(RunningServer server, IsoWeek otherWeek)
    {
        var now = DateTimeOffset.UtcNow;
        var other = new LockHolder(Guid.NewGuid(), "http", "FULL", "all", now, now.AddMinutes(1), "other-host/1");
        await using var held = await server.Services.GetRequiredService<WeeklyLockManager>()
            .HoldAsync(LockKey.WholeWeek(otherWeek), other);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var response = await TriggerAsync(server, otherWeek);
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        }));
    }

    private static async Task<HttpResponseMessage> TriggerAsync(RunningServer server, IsoWeek week)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/internal/run-weekly")
        {
            Content = new StringContent($"{{\"week_start\":\"{week}\",\"mode\":\"PIPELINE_ONLY\"}}"),
        };
        request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
        return await server.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_whole_week_run_and_an_org_run_never_process_the_same_org_at_the_same_time()
    {
        var week = RunnerHarness.LastWeek.AddWeeks(-2);
        var harness = new RunnerHarness(fixture, new Dictionary<string, string?> { ["WEEKLY_TEAM_PARALLELISM"] = "1" });
        harness.Rollup.Script = (_, ct) => Task.Delay(250, ct);
        var tenants = new TenantBuilder(fixture.DataSource);
        var (first, _) = await tenants.AddOrgAsync(3);
        var (second, _) = await tenants.AddOrgAsync(3);

        var wholeWeek = harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, week: week));
        await Task.Delay(300);
        var orgRuns = await Task.WhenAll(
            harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, first, week: week)),
            harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, second, week: week)));
        var whole = await wholeWeek;

        Assert.NotNull(whole.Report);
        Assert.Contains(orgRuns, run => run.Refusal?.Code == "LOCKED" || run.Report is not null);
        foreach (var org in new[] { first, second })
        {
            var byRun = harness.Stages.SelectMany(stage => stage.Calls).Where(call => call.OrgId == org).GroupBy(call => call.RunId)
                .Select(run => (Start: run.Min(call => call.Started), End: run.Max(call => call.Ended))).OrderBy(run => run.Start).ToList();
            for (var i = 1; i < byRun.Count; i++)
            {
                Assert.True(byRun[i].Start >= byRun[i - 1].End, $"two runs processed org {org} at the same time");
            }
        }
    }

    [Fact]
    public async Task A_run_whose_org_is_taken_over_by_another_run_stops_writing_there_at_once_and_ends_partial()
    {
        var week = RunnerHarness.LastWeek.AddWeeks(-3);
        var harness = new RunnerHarness(fixture, new Dictionary<string, string?> { ["WEEKLY_TEAM_PARALLELISM"] = "1" });
        harness.Rollup.Script = (_, ct) => Task.Delay(300, ct);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(10);

        var run = harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, org, week: week));
        await Eventually.UntilAsync(() => !harness.Rollup.Calls.IsEmpty, "the rollup was called", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));
        // An operator forces the lock free and another run takes it: it stamps the org's fence with its own id.
        var lockBlob = fixture.BlobService.GetBlobContainerClient(fixture.LockContainer).GetBlobClient(LockKey.ForOrg(week, org).BlobName);
        await lockBlob.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero);
        await new LockFences(fixture.DataSource).TakeAsync(week, org, Guid.NewGuid(), CancellationToken.None);
        var takenAt = DateTimeOffset.UtcNow;
        var report = (await run).Report!;

        Assert.Equal(RunStatus.Partial, report.Status);
        Assert.Contains(report.Errors, error => error.Code == "LOCK_LOST");
        Assert.Contains("lock_lost", report.Notes);
        Assert.Contains(report.Teams, team => team.Status == "not_started");
        await using var command = fixture.DataSource.CreateCommand("select max(written_at) from scripted_writes where run_id = $1");
        command.Parameters.Add(new() { Value = report.RunId });
        var lastWrite = (DateTime)(await command.ExecuteScalarAsync())!;
        // The unit in flight (300 ms) may still have passed its fence check; allow scheduling slack on a loaded machine.
        Assert.True(new DateTimeOffset(lastWrite, TimeSpan.Zero) < takenAt + TimeSpan.FromSeconds(1),
            $"last write {lastWrite:O} came too long after the takeover at {takenAt:O}");
    }

    [Fact]
    public async Task A_fenced_write_of_an_overtaken_run_aborts_even_before_it_notices_the_lost_lease()
    {
        var fences = fixture.CreateServices().GetRequiredService<LockFences>();
        var week = RunnerHarness.LastWeek;
        var org = Guid.NewGuid();
        var (oldRun, newRun) = (Guid.NewGuid(), Guid.NewGuid());
        await fences.TakeAsync(week, org, oldRun, CancellationToken.None);
        await fences.For(week, org, oldRun).WriteAsync([], CancellationToken.None);

        await fences.TakeAsync(week, org, newRun, CancellationToken.None);

        await Assert.ThrowsAsync<LockLostException>(() => fences.For(week, org, oldRun).WriteAsync([], CancellationToken.None));
        await Assert.ThrowsAsync<LockLostException>(() => fences.For(week, org, oldRun).EnsureHeldAsync(CancellationToken.None));
        await fences.For(week, org, newRun).WriteAsync([], CancellationToken.None);
    }

    [Fact]
    public async Task A_fenced_write_is_one_transaction_a_failing_statement_drops_the_statements_before_it()
    {
        var fences = fixture.CreateServices().GetRequiredService<LockFences>();
        var week = RunnerHarness.LastWeek;
        var (org, run, otherOrg) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await fences.TakeAsync(week, org, run, CancellationToken.None);
        var insert = new NpgsqlBatchCommand("insert into weekly_lock_fences (week_start, org_id, run_id) values ($1, $2, $3)");
        insert.Parameters.Add(new() { Value = week.Monday });
        insert.Parameters.Add(new() { Value = otherOrg });
        insert.Parameters.Add(new() { Value = run });

        await Assert.ThrowsAsync<PostgresException>(
            () => fences.For(week, org, run).WriteAsync([insert, new NpgsqlBatchCommand("select 1 / 0")], CancellationToken.None));

        await using var count = fixture.DataSource.CreateCommand("select count(*) from weekly_lock_fences where org_id = $1");
        count.Parameters.Add(new() { Value = otherOrg });
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_lock_blob_carries_its_holder_and_a_fixed_expiry_and_is_free_after_release()
    {
        var locks = fixture.CreateServices().GetRequiredService<WeeklyLockManager>();
        var key = LockKey.WholeWeek(IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-7));
        var holder = new LockHolder(Guid.NewGuid(), "schedule", "FULL", "all", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(10), "host-a/42");

        var attempt = await locks.TryAcquireAsync(key, holder, CancellationToken.None);
        var second = await locks.TryAcquireAsync(key, holder with { RunId = Guid.NewGuid() }, CancellationToken.None);
        var properties = (await fixture.BlobService.GetBlobContainerClient(fixture.LockContainer).GetBlobClient(key.BlobName).GetPropertiesAsync()).Value;
        await locks.ReleaseAsync(key, holder.RunId, CancellationToken.None);

        Assert.True(attempt.Acquired);
        Assert.False(second.Acquired);
        Assert.Equal(holder.RunId, second.Holder!.RunId);
        Assert.Equal(holder.ExpiresAt.ToUnixTimeMilliseconds(), second.Holder.ExpiresAt.ToUnixTimeMilliseconds());
        Assert.Equal(["acquired_at", "expires_at", "host", "mode", "run_id", "scope", "trigger"], properties.Metadata.Keys.Order());
        Assert.Equal(Azure.Storage.Blobs.Models.LeaseDurationType.Infinite, properties.LeaseDuration);
        Assert.Equal(LockState.Free, await locks.InspectAsync(key, CancellationToken.None));
        Assert.True((await locks.TryAcquireAsync(key, holder with { RunId = Guid.NewGuid() }, CancellationToken.None)).Acquired);
    }
}
