using System.Diagnostics;
using System.Text;
using Azure.Storage.Blobs.Models;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Interpretation;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// A host SIGKILLed in the middle of a FULL run: nobody speaks for its run any more, so the reaper ends it within the
/// stall bound (its locks freed), it leaves no partial unit, and a re-run completes reusing its units.
/// </summary>
[Collection(ReliabilityTests.Name)]
public sealed class HostKillTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_killed_run_is_ended_within_its_stall_bound_frees_its_locks_leaves_only_whole_units_and_a_rerun_reuses_them()
    {
        var week = RunnerHarness.LastWeek;
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, week, CancellationToken.None);
        await using var llm = await FakeOpenAIServer.StartAsync();
        llm.Default = llm.Default with { Delay = TimeSpan.FromMilliseconds(500) };
        var llmSettings = InterpretationHarness.LlmSettings(llm, timeoutSeconds: 10);
        // Short bounds: a beat a second, a message invisible for 3 s, a run nobody speaks for in 4 s is stalled.
        llmSettings["WEEKLY_RUN_HEARTBEAT_SECONDS"] = "1";
        llmSettings["WEEKLY_WORK_VISIBILITY_SECONDS"] = "3";
        llmSettings["WEEKLY_WORK_RENEW_SECONDS"] = "1";
        llmSettings["WEEKLY_RUN_STALL_SECONDS"] = "4";
        var settings = new Dictionary<string, string?>(fixture.Settings);
        foreach (var (key, value) in llmSettings)
        {
            settings[key] = value;
        }

        await using var host = await ChildHost.ServeAsync(settings);
        using var trigger = new HttpRequestMessage(HttpMethod.Post, "/api/internal/run-weekly") { Content = new StringContent("{\"mode\":\"FULL\"}", Encoding.UTF8, "application/json") };
        trigger.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
        var pending = host.Client.SendAsync(trigger);
        await Eventually.UntilAsync(() => llm.Requests.Count >= 2, "the run reached stage 3", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));

        host.Kill();
        var killedAt = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => pending);

        // Nobody works for the killed run any more: once its heartbeat is older than the stall bound, the reaper ends
        // it (fences tombstoned, open items not started, leases broken, abandoned).
        var services = fixture.CreateServices(llmSettings);
        var jobs = services.GetRequiredService<JobRunner>();
        while (await fixture.CountAsync("weekly_runs where status = 'abandoned'") == 0)
        {
            Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(30), "the killed run was not ended within the stall bound and a few reaper runs");
            Assert.Equal(JobStatus.Succeeded, (await jobs.RunAsync(RunReaperJob.Id, JobTrigger.Manual, CancellationToken.None)).Status);
            await Task.Delay(500);
        }

        var whole = fixture.BlobService.GetBlobContainerClient(fixture.LockContainer).GetBlobClient(LockKey.WholeWeek(week).BlobName);
        Assert.NotEqual(LeaseState.Leased, (await whole.GetPropertiesAsync()).Value.LeaseState);
        Assert.Equal(0, await fixture.CountAsync("weekly_work_items where status <> 'final'"));
        var attribution = fixture.BlobService.GetBlobContainerClient(fixture.AttributionContainer);
        Assert.Empty(await PipelineOutputs.FindBrokenUnitsAsync(fixture.DataSource, attribution, week.Monday));

        Assert.Equal(0, await fixture.CountAsync("weekly_runs where status = 'running'"));
        var rerun = (await services.GetRequiredService<WeeklyRunner>().RunAsync(RunnerHarness.Request(), RunTrigger.Http, CancellationToken.None)).Report!;

        Assert.Equal(RunStatus.Completed, rerun.Status);
        Assert.True(rerun.Counts.AggregatesSkipped > 0, "the killed run's finished aggregates were not reused");
        Assert.Empty(await PipelineOutputs.FindBrokenUnitsAsync(fixture.DataSource, attribution, week.Monday));
        Assert.Equal(
            await fixture.CountAsync($"(select distinct team_id from team_series where week_start = '{week.Monday:yyyy-MM-dd}') teams"),
            await fixture.CountAsync($"weekly_interpretations where week_start = '{week.Monday:yyyy-MM-dd}' and is_active"));
    }
}
