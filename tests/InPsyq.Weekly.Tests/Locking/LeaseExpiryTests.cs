using System.Diagnostics;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Locking;

/// <summary>Tests that wait for leases or TTLs to run out; their own collection, alongside the others.</summary>
[CollectionDefinition(Name)]
public sealed class LeaseExpiryTestGroup
{
    public const string Name = "lease expiry";
}

[Collection(LeaseExpiryTestGroup.Name)]
public sealed class LeaseExpiryTests(ScriptedStageFixture fixture) : IClassFixture<ScriptedStageFixture>
{
    [Fact]
    public async Task A_lock_left_by_a_SIGKILLed_holder_is_taken_over_within_one_lease_period()
    {
        var week = RunnerHarness.LastWeek.AddWeeks(-5);
        var harness = new RunnerHarness(fixture);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(1);
        var holderRun = Guid.NewGuid();
        using var holder = await LockHolderProcess.StartAsync(fixture, week, org, holderRun);

        holder.Kill(entireProcessTree: true);
        var killedAt = Stopwatch.StartNew();
        await holder.WaitForExitAsync();

        var refused = await harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, org, week: week));
        Assert.Equal(holderRun, (refused.Refusal as LockedRefusal)?.Holder?.RunId);

        RunResult result;
        do
        {
            await Task.Delay(500);
            result = await harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, org, week: week));
        }
        while (result.Refusal?.Code == "LOCKED" && killedAt.Elapsed < TimeSpan.FromSeconds(60));

        Assert.Equal(RunStatus.Completed, result.Report?.Status);
        // The lease is 15 s in tests; a dead holder's lock must free itself within one lease (docs/runs.md: ≤ 60 s).
        Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(20), $"takeover took {killedAt.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task At_the_hard_TTL_the_run_stops_marks_the_rest_not_started_and_releases_the_lock()
    {
        var week = RunnerHarness.LastWeek.AddWeeks(-6);
        var harness = new RunnerHarness(fixture, new Dictionary<string, string?> { ["WEEKLY_TEAM_PARALLELISM"] = "1" });
        harness.Rollup.Script = (_, ct) => Task.Delay(400, ct);
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(8);
        var request = RunnerHarness.Request(RunMode.PipelineOnly, org, week: week);
        var runId = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        // A TTL far shorter than the run's deadline: only the TTL can stop this run.
        var holder = new LockHolder(runId, "cli", "PIPELINE_ONLY", request.Scope, now, now.AddSeconds(1.5), "test");
        var locks = harness.Services.GetRequiredService<WeeklyLockManager>();
        var key = LockKey.ForOrg(week, org);
        var held = (await locks.TryAcquireAsync(key, holder, CancellationToken.None)).Lock!;

        using var execution = harness.Services.GetRequiredService<RunExecutionFactory>().Create(runId, request, RunTrigger.Cli);
        RunReport report;
        await using (held)
        {
            report = await execution.RunAsync(held, holder, TimeSpan.FromMinutes(5), CancellationToken.None);
        }

        Assert.Equal(RunStatus.Partial, report.Status);
        Assert.Contains("ttl_expired", report.Notes);
        Assert.Contains(report.Teams, team => team.Stages[0] is { Status: "not_started", Reason: "ttl_expired" });
        Assert.Contains(report.Teams, team => team.Stages[0].Status == "succeeded");
        Assert.True(harness.Rollup.Calls.Count < teams.Count);
        Assert.Equal(LockState.Free, await locks.InspectAsync(key, CancellationToken.None));
    }
}
