using System.Diagnostics;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;

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
}
