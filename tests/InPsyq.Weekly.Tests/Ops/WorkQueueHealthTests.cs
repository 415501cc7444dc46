using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Health;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>
/// <c>work_queue</c> against this class's own Azurite queue and database. The queue stamps a message with its own
/// clock, so the check's clock is moved forward to make a message old.
/// </summary>
public sealed class WorkQueueHealthTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private ServiceProvider _services = null!;
    private WorkQueueClient _queue = null!;

    public async Task InitializeAsync()
    {
        _services = Services();
        _queue = _services.GetRequiredService<WorkQueueClient>();
        await _queue.Queue.ClearMessagesAsync();
        await _queue.Next.ClearMessagesAsync();
        await _queue.Poison.ClearMessagesAsync();
        await _queue.NextPoison.ClearMessagesAsync();
        await using var clear = fixture.DataSource.CreateCommand("delete from weekly_runs");
        await clear.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task An_empty_queue_is_healthy_and_says_its_depth()
    {
        var entry = await CheckAsync();

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("0", entry.Data["observed_value"]);
        Assert.Equal("messages", entry.Data["observed_unit"]);
    }

    [Fact]
    public async Task A_message_older_than_the_threshold_while_no_item_starts_is_degraded()
    {
        await _queue.SendAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()), continuesRun: false, CancellationToken.None);
        _time.SetUtcNow(DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

        _time.SetUtcNow(DateTimeOffset.UtcNow.AddMinutes(20));
        var entry = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal("1", entry.Data["observed_value"]);
        Assert.Contains("No work item started in the last 900 s", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_old_message_is_healthy_while_items_start_and_the_threshold_is_a_setting()
    {
        await _queue.SendAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()), continuesRun: false, CancellationToken.None);
        _time.SetUtcNow(DateTimeOffset.UtcNow.AddMinutes(20));
        await StartItemAsync(startedAt: _time.GetUtcNow().AddMinutes(-5));

        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

        var stricter = Services(new Dictionary<string, string?> { ["HEALTH_QUEUE_AGE_DEGRADED_SECONDS"] = "120" });
        Assert.Equal(HealthStatus.Degraded, (await CheckAsync(stricter)).Status);
    }

    [Fact]
    public async Task A_poison_message_of_the_last_7_days_is_degraded_an_older_one_is_not()
    {
        await _queue.Poison.SendMessageAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()).ToJson());

        var young = await CheckAsync();
        _time.SetUtcNow(DateTimeOffset.UtcNow.AddDays(8));
        var old = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, young.Status);
        Assert.Contains("1 poison message(s) in the last 7 days", young.Description, StringComparison.Ordinal);
        Assert.Contains("moved to the poison queue", young.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, old.Status);
    }

    [Fact]
    public async Task A_message_the_functions_host_moved_to_the_poison_queue_of_the_next_lane_counts_too()
    {
        await _queue.NextPoison.SendMessageAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()).ToJson());
        await _queue.Poison.SendMessageAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()).ToJson());

        var entry = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("2 poison message(s) in the last 7 days", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_queue_that_does_not_answer_is_unhealthy_without_naming_its_address()
    {
        var unreachable = TestEnvironment.BlobConnectionString.Replace(":10101/", ":9/", StringComparison.Ordinal);
        Assert.NotEqual(TestEnvironment.BlobConnectionString, unreachable);
        var services = Services(new Dictionary<string, string?> { ["BLOB_CONNECTION_STRING"] = unreachable });

        var entry = await CheckAsync(services);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.StartsWith("The work queue does not answer", entry.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", entry.Description, StringComparison.Ordinal);
    }

    /// <summary>The library with its health checks (as the HTTP hosts register them) on this test's clock.</summary>
    private ServiceProvider Services(IReadOnlyDictionary<string, string?>? overrides = null) =>
        fixture.CreateServices(overrides, services => services.AddSingleton<TimeProvider>(_time).AddWeeklyHealthChecks());

    private Task<HealthReportEntry> CheckAsync() => CheckAsync(_services);

    private static async Task<HealthReportEntry> CheckAsync(IServiceProvider services)
    {
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(check => check.Name == "work_queue");
        return report.Entries["work_queue"];
    }

    /// <summary>A run with one item that a delivery claimed, its start moved to <paramref name="startedAt"/>.</summary>
    private async Task StartItemAsync(DateTimeOffset startedAt)
    {
        var (orgId, teamIds) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(1);
        var runId = Guid.CreateVersion7();
        await _services.GetRequiredService<WeeklyRunStore>().StartAsync(
            new RunStart(runId, RunTrigger.Cli, RunnerHarness.Request(RunMode.Full), DateTimeOffset.UtcNow, "test-host"), CancellationToken.None);
        var store = _services.GetRequiredService<WorkItemStore>();
        var itemId = (await store.PlanAsync(runId, PipelineStage.Rollup, PipelineStage.Rollup, [new PlannedOrg(orgId, teamIds)], [], 25, CancellationToken.None))
            .CreatedItems.Single();
        await store.ClaimAsync(itemId, "test-host", 5, 25, CancellationToken.None);
        await using var move = fixture.DataSource.CreateCommand("update weekly_work_items set started_at = $1 where item_id = $2");
        move.Parameters.Add(new() { Value = startedAt });
        move.Parameters.Add(new() { Value = itemId });
        await move.ExecuteNonQueryAsync();
    }
}
