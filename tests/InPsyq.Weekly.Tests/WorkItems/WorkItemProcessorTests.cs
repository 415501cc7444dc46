using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.WorkItems;

/// <summary>
/// A week worked as items off the real queue by the real stages on the demo tenant, against real Postgres and
/// Azurite. The result is the run a single process makes.
/// </summary>
public sealed class WorkItemProcessorTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private static readonly IsoWeek s_week = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-1);

    [Fact]
    public async Task A_week_worked_as_items_writes_what_a_single_process_run_writes_and_finishes_its_run_once()
    {
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, s_week, CancellationToken.None);
        var services = fixture.CreateServices(new Dictionary<string, string?> { ["WEEKLY_WORK_ITEM_TEAMS"] = "2" });
        var request = new RunRequest(s_week, null, null, RunMode.Full, DryRun: false, Force: false);
        var runId = await PlanAsync(services, request);

        await WorkUntilFinalAsync(services, runId);

        var run = await services.GetRequiredService<WeeklyRunStore>().FindAsync(runId, CancellationToken.None);
        Assert.Equal("completed", run!["status"]);
        Assert.Equal((11L, 10L, 10L), (Convert.ToInt64(run["aggregates_written"]), Convert.ToInt64(run["attributions_written"]), Convert.ToInt64(run["interpretations_written"])));
        var progress = await services.GetRequiredService<WorkItemStore>().ProgressAsync(runId, CancellationToken.None);
        Assert.Equal(progress.ItemsTotal, progress.ItemsFinal);
        Assert.Equal(progress.TeamsTotal, progress.TeamsFinal);

        // A run in one process over the same week finds every unit's input hash equal: the items wrote the same output.
        var single = (await services.GetRequiredService<WeeklyRunner>().RunAsync(request, RunTrigger.Cli, CancellationToken.None)).Report!;
        Assert.Equal(RunStatus.Completed, single.Status);
        Assert.Equal((0, 0, 0), (single.Counts.AggregatesWritten, single.Counts.AttributionsWritten, single.Counts.InterpretationsWritten));
        Assert.All(single.Teams, team => Assert.Equal("skipped", team.Status));
    }

    [Fact]
    public async Task A_redelivered_item_keeps_the_results_an_earlier_delivery_recorded()
    {
        var week = s_week.AddWeeks(-3);
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, week, CancellationToken.None);
        var services = fixture.CreateServices(new Dictionary<string, string?> { ["WEEKLY_WORK_ITEM_TEAMS"] = "50" });
        var store = services.GetRequiredService<WorkItemStore>();
        var runId = await PlanAsync(services, new RunRequest(week, null, null, RunMode.PipelineOnly, DryRun: false, Force: false));
        var first = (await store.UnsentAsync(TimeSpan.Zero, 10, CancellationToken.None)).First(row => row.RunId == runId);
        var earlier = Assert.IsType<Delivery.Claimed>(await store.ClaimAsync(first.ItemId, "gone-host", 5, 50, CancellationToken.None));
        var kept = earlier.Item.TeamIds[0];
        await services.GetRequiredService<LockFences>().For(week, earlier.Item.OrgId, runId, earlier.Claim)
            .WriteAsync([WorkItemStore.RecordResult(earlier.Item, kept, StageOutcome.Skip("recorded_by_the_gone_host"), 1)], CancellationToken.None);

        await WorkUntilFinalAsync(services, runId);

        var results = await store.ResultsAsync(runId, CancellationToken.None);
        Assert.Equal("recorded_by_the_gone_host", results.Single(result => result.TeamId == kept && result.Stage == PipelineStage.Rollup).Reason);
        Assert.All(results.Where(result => result.TeamId != kept && result.Stage == PipelineStage.Rollup), result => Assert.Equal(StageStatus.Succeeded, result.Status));
    }

    /// <summary>Admission as far as the items: the audit row with its deadline, every org's fence, the first stage's items.</summary>
    private static async Task<Guid> PlanAsync(IServiceProvider services, RunRequest request)
    {
        var runId = Guid.CreateVersion7();
        await services.GetRequiredService<WeeklyRunStore>().StartAsync(
            new RunStart(runId, RunTrigger.Cli, request, DateTimeOffset.UtcNow, "test-host", TimeSpan.FromMinutes(10)), CancellationToken.None);
        var orgs = await services.GetRequiredService<TenantDirectory>().LoadScopeAsync(null, null, CancellationToken.None);
        foreach (var org in orgs)
        {
            await services.GetRequiredService<LockFences>().TakeAsync(request.Week, org.OrgId, runId, CancellationToken.None);
        }

        var stages = StageStatuses.StagesOf(request.Mode);
        await services.GetRequiredService<WorkItemStore>().PlanAsync(
            runId, stages[0], stages[^1], [.. orgs.Select(org => new PlannedOrg(org.OrgId, [.. org.Teams.Select(team => team.TeamId)]))], [],
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Configuration.WorkOptions>>().Value.ItemTeams, CancellationToken.None);
        return runId;
    }

    /// <summary>Sends the planned items' messages and works the queue until the run is final.</summary>
    private static async Task WorkUntilFinalAsync(IServiceProvider services, Guid runId)
    {
        var unsent = await services.GetRequiredService<WorkItemStore>().UnsentAsync(TimeSpan.Zero, 1000, CancellationToken.None);
        await services.GetRequiredService<WorkOutbox>().SendAsync(runId, [.. unsent.Where(row => row.RunId == runId).Select(row => row.ItemId)], CancellationToken.None);
        var runs = services.GetRequiredService<WeeklyRunStore>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await services.GetRequiredService<WorkQueueWorker>().WorkAsync(
            async cancellationToken => (await runs.FindWorkAsync(runId, cancellationToken))!.Status != "running", timeout.Token);
        Assert.False(timeout.IsCancellationRequested, "the run did not become final within 2 minutes");
    }
}
