using System.Diagnostics;
using System.Text.RegularExpressions;
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
        await store.RecordAsync(earlier.Item, earlier.Claim, kept, StageOutcome.Skip("recorded_by_the_gone_host"), 1, CancellationToken.None);

        await WorkUntilFinalAsync(services, runId);

        var results = await store.ResultsAsync(runId, CancellationToken.None);
        Assert.Equal("recorded_by_the_gone_host", results.Single(result => result.TeamId == kept && result.Stage == PipelineStage.Rollup).Reason);
        Assert.All(results.Where(result => result.TeamId != kept && result.Stage == PipelineStage.Rollup), result => Assert.Equal(StageStatus.Succeeded, result.Status));
    }

    [Fact]
    public async Task A_message_for_a_final_item_of_a_finished_run_is_deleted_and_changes_nothing()
    {
        var week = s_week.AddWeeks(-5);
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, week, CancellationToken.None);
        var services = fixture.CreateServices(new Dictionary<string, string?> { ["WEEKLY_WORK_ITEM_TEAMS"] = "50" });
        var runId = await PlanAsync(services, new RunRequest(week, null, null, RunMode.PipelineOnly, DryRun: false, Force: false));
        await WorkUntilFinalAsync(services, runId);
        var before = await RowsOfRunAsync(runId);
        var queue = services.GetRequiredService<WorkQueueClient>();

        // At-least-once delivery: the message of an item that is final comes again (a resend, a lapsed visibility).
        await queue.SendAsync(new WorkMessage(runId, await ScalarAsync<Guid>("select item_id from weekly_work_items where run_id = $1 order by item_id limit 1", runId)), continuesRun: true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await services.GetRequiredService<WorkQueueWorker>().WorkAsync(
            async cancellationToken => (await queue.DepthAsync(cancellationToken)).Messages == 0, timeout.Token);

        Assert.False(timeout.IsCancellationRequested, "the duplicate message was not deleted within 30 s");
        Assert.Equal(before, await RowsOfRunAsync(runId));
        Assert.Empty((await queue.Poison.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task Item_messages_whose_send_failed_at_admission_are_sent_again_by_a_worker_and_the_run_completes()
    {
        var week = s_week.AddWeeks(-7);
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, week, CancellationToken.None);
        var settings = new Dictionary<string, string?> { ["WEEKLY_WORK_ITEM_TEAMS"] = "4", ["WEEKLY_WORK_OUTBOX_RESEND_SECONDS"] = "0.2" };
        // The admitting instance reaches Postgres and blob storage but not the queue (its endpoint is a closed port).
        var unreachableQueue = new Dictionary<string, string?>(settings)
        {
            ["BLOB_CONNECTION_STRING"] = Regex.Replace(
                TestEnvironment.BlobConnectionString, @"QueueEndpoint=http://127\.0\.0\.1:\d+", $"QueueEndpoint=http://127.0.0.1:{Reliability.ChildHost.FreePort()}"),
        };
        var request = new RunRequest(week, null, null, RunMode.PipelineOnly, DryRun: false, Force: false);
        var caller = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();

        var admitted = await fixture.CreateServices(unreachableQueue).GetRequiredService<WeeklyRunner>()
            .RunAsync(request, RunTrigger.Cli, CancellationToken.None, waitAtMost: TimeSpan.Zero);
        caller.Stop();

        // Admitted all the same: its items are committed with their outbox rows, which wait to be sent.
        Assert.Null(admitted.Report);
        var runId = admitted.RunningRunId!.Value;
        var services = fixture.CreateServices(settings);
        var store = services.GetRequiredService<WorkItemStore>();
        Assert.Equal(
            await ScalarAsync<long>("select count(*) from weekly_work_items where run_id = $1", runId),
            (await store.UnsentAsync(TimeSpan.Zero, 100, CancellationToken.None)).Count(row => row.RunId == runId));
        // A worker that knows nothing of the run sends its messages again (once older than the resend delay), in the
        // run's trace all the same.
        await Task.Delay(TimeSpan.FromSeconds(0.3));
        Assert.True(await services.GetRequiredService<WorkOutbox>().ResendAsync(CancellationToken.None) > 0);
        var resent = (await services.GetRequiredService<WorkQueueClient>().Next.PeekMessagesAsync(WorkQueueClient.MaxBatch)).Value
            .Select(message => WorkMessage.FromJson(message.Body.ToString())!).Where(message => message.RunId == runId).ToList();
        Assert.NotEmpty(resent);
        Assert.All(resent, message => Assert.Equal(caller.TraceId.ToString(), message.Trace?.Traceparent.Split('-')[1]));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var runs = services.GetRequiredService<WeeklyRunStore>();
        await services.GetRequiredService<WorkQueueWorker>().WorkAsync(
            async cancellationToken => (await runs.FindWorkAsync(runId, cancellationToken))!.Status != "running", timeout.Token);

        Assert.False(timeout.IsCancellationRequested, "the run did not become final within 60 s");
        Assert.Equal("completed", (await runs.FindAsync(runId, CancellationToken.None))!["status"]);
        Assert.DoesNotContain(await store.UnsentAsync(TimeSpan.Zero, 100, CancellationToken.None), row => row.RunId == runId);
    }

    [Fact]
    public async Task An_item_delivered_more_than_the_maximum_fails_its_teams_its_message_goes_to_the_poison_queue_and_the_run_ends()
    {
        var week = s_week.AddWeeks(-9);
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, week, CancellationToken.None);
        var services = fixture.CreateServices(new Dictionary<string, string?> { ["WEEKLY_WORK_ITEM_TEAMS"] = "50", ["WEEKLY_WORK_MAX_ATTEMPTS"] = "2" });
        var store = services.GetRequiredService<WorkItemStore>();
        var runId = await PlanAsync(services, new RunRequest(week, null, null, RunMode.PipelineOnly, DryRun: false, Force: false));
        var doomed = (await store.UnsentAsync(TimeSpan.Zero, 100, CancellationToken.None)).First(row => row.RunId == runId).ItemId;
        // Two deliveries of it died without finishing; the queue's delivery is the third.
        Assert.IsType<Delivery.Claimed>(await store.ClaimAsync(doomed, "crashed-host", 2, 50, CancellationToken.None));
        var second = Assert.IsType<Delivery.Claimed>(await store.ClaimAsync(doomed, "crashed-host", 2, 50, CancellationToken.None));

        await WorkUntilFinalAsync(services, runId);

        var results = await store.ResultsAsync(runId, CancellationToken.None);
        var doomedTeams = second.Item.TeamIds.ToHashSet();
        Assert.All(results.Where(result => doomedTeams.Contains(result.TeamId)), result => Assert.Equal(
            result.Stage == PipelineStage.Rollup ? (StageStatus.Failed, WorkItemStore.PoisonedCode) : (StageStatus.NotStarted, null),
            (result.Status, result.Code)));
        Assert.All(results.Where(result => !doomedTeams.Contains(result.TeamId)), result => Assert.Contains(result.Status, new[] { StageStatus.Succeeded, StageStatus.Skipped }));
        Assert.Equal("partial", (await services.GetRequiredService<WeeklyRunStore>().FindAsync(runId, CancellationToken.None))!["status"]);
        var poisoned = (await services.GetRequiredService<WorkQueueClient>().Poison.PeekMessagesAsync(32)).Value
            .Select(message => WorkMessage.FromJson(message.Body.ToString())?.ItemId);
        Assert.Contains(doomed, poisoned);
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

    /// <summary>Every row the run has (its audit row, items and team results), as text.</summary>
    private Task<string> RowsOfRunAsync(Guid runId) => ScalarAsync<string>("""
        select concat_ws(E'\n',
            (select to_jsonb(r)::text from weekly_runs r where run_id = $1),
            (select string_agg(to_jsonb(i)::text, E'\n' order by item_id) from weekly_work_items i where run_id = $1),
            (select string_agg(to_jsonb(w)::text, E'\n' order by team_id, stage) from weekly_work_results w where run_id = $1))
        """, runId);

    private async Task<T> ScalarAsync<T>(string sql, Guid runId)
    {
        await using var command = fixture.DataSource.CreateCommand(sql);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<Guid> { TypedValue = runId });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Sends the planned items' messages and works the queue until the run is final.</summary>
    private static async Task WorkUntilFinalAsync(IServiceProvider services, Guid runId)
    {
        var unsent = await services.GetRequiredService<WorkItemStore>().UnsentAsync(TimeSpan.Zero, 1000, CancellationToken.None);
        await services.GetRequiredService<WorkOutbox>().SendAsync(runId, [.. unsent.Where(row => row.RunId == runId).Select(row => row.ItemId)], trace: null, startRun: true, CancellationToken.None);
        var runs = services.GetRequiredService<WeeklyRunStore>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await services.GetRequiredService<WorkQueueWorker>().WorkAsync(
            async cancellationToken => (await runs.FindWorkAsync(runId, cancellationToken))!.Status != "running", timeout.Token);
        Assert.False(timeout.IsCancellationRequested, "the run did not become final within 2 minutes");
    }
}
