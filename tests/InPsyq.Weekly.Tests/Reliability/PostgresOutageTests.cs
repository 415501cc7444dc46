using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Interpretation;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// Postgres (a private cluster) stops in the middle of a FULL run: the run pauses (deliveries fail and their
/// messages come back), and when Postgres is back it goes on from the results it had recorded and completes, with
/// every stage's output equal to that of an undisturbed run. (An outage longer than the stall bound ends the run
/// as stalled instead: see the host-kill test.)
/// </summary>
[Collection(ReliabilityTests.Name)]
public sealed class PostgresOutageTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_run_cut_off_from_Postgres_pauses_and_completes_when_it_is_back_with_the_output_of_an_undisturbed_run()
    {
        var week = RunnerHarness.LastWeek;
        await using var llm = await FakeOpenAIServer.StartAsync();
        var llmSettings = InterpretationHarness.LlmSettings(llm, timeoutSeconds: 10);

        // The undisturbed reference run, on the shared cluster.
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, week, CancellationToken.None);
        var reference = fixture.CreateServices(llmSettings);
        Assert.Equal(RunStatus.Completed, (await RunAsync(reference)).Status);
        var expected = await PipelineOutputs.SnapshotAsync(fixture.DataSource, fixture.BlobService.GetBlobContainerClient(fixture.AttributionContainer), week.Monday);

        await using var postgres = await PrivatePostgres.StartAsync();
        var container = fixture.BlobService.GetBlobContainerClient($"{fixture.AttributionContainer}-pg");
        try
        {
            var settings = new Dictionary<string, string?>(llmSettings)
            {
                ["POSTGRES_CONNECTION_STRING"] = postgres.ConnectionString,
                ["POSTGRES_MIGRATOR_CONNECTION_STRING"] = postgres.ConnectionString,
                ["BLOB_ATTRIBUTION_CONTAINER"] = container.Name,
                ["BLOB_LOCK_CONTAINER"] = $"{fixture.LockContainer}-pg",
                // A failed delivery's message comes back after 3 s; nobody declares the run stalled meanwhile.
                ["WEEKLY_WORK_VISIBILITY_SECONDS"] = "3",
                ["WEEKLY_WORK_RENEW_SECONDS"] = "1",
                ["WEEKLY_RUN_HEARTBEAT_SECONDS"] = "1",
                ["WEEKLY_RUN_STALL_SECONDS"] = "600",
            };
            var services = fixture.CreateServices(settings);
            await services.GetRequiredService<StorageInitializer>().InitializeAsync(CancellationToken.None);
            var dataSource = services.GetRequiredService<NpgsqlDataSource>();
            await new DemoTenantSeeder(dataSource).SeedAsync(DemoTenant.DefaultSeed, week, CancellationToken.None);

            llm.Default = llm.Default with { Delay = TimeSpan.FromMilliseconds(400) };
            var requestsBefore = llm.Requests.Count;
            var run = RunAsync(services);
            await Eventually.UntilAsync(
                () => llm.Requests.Count >= requestsBefore + 2, "the run reached stage 3", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));

            await postgres.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.False(run.IsCompleted, "the run ended while Postgres was down");

            await postgres.StartAgainAsync();
            NpgsqlConnection.ClearAllPools();
            llm.Default = llm.Default with { Delay = TimeSpan.Zero };
            var resumed = await run.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(RunStatus.Completed, resumed.Status);
            Assert.Empty(await PipelineOutputs.FindBrokenUnitsAsync(dataSource, container, week.Monday));
            Assert.Equal(expected, await PipelineOutputs.SnapshotAsync(dataSource, container, week.Monday));
        }
        finally
        {
            await container.DeleteIfExistsAsync();
            await fixture.BlobService.GetBlobContainerClient($"{fixture.LockContainer}-pg").DeleteIfExistsAsync();
        }
    }

    private static async Task<RunReport> RunAsync(IServiceProvider services) =>
        (await services.GetRequiredService<WeeklyRunner>().RunAsync(RunnerHarness.Request(), RunTrigger.Http, CancellationToken.None)).Report!;
}
