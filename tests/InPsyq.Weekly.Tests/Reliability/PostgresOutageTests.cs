using System.Text.Json;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Alerts;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Interpretation;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// Postgres (a private cluster) stops in the middle of a FULL run: the run ends <c>failed</c>, naming postgres, and
/// alerts; after a restart a re-run completes, and every stage's output equals that of an undisturbed run.
/// </summary>
[Collection(ReliabilityTests.Name)]
public sealed class PostgresOutageTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_run_cut_off_from_Postgres_fails_cleanly_and_a_rerun_after_restart_matches_an_undisturbed_run()
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
        await using var webhook = await WebhookReceiver.StartAsync();
        var container = fixture.BlobService.GetBlobContainerClient($"{fixture.AttributionContainer}-pg");
        try
        {
            var settings = new Dictionary<string, string?>(llmSettings)
            {
                ["POSTGRES_CONNECTION_STRING"] = postgres.ConnectionString,
                ["BLOB_ATTRIBUTION_CONTAINER"] = container.Name,
                ["BLOB_LOCK_CONTAINER"] = $"{fixture.LockContainer}-pg",
                ["ALERT_WEBHOOK_URL"] = webhook.Url,
                ["ALERT_WEBHOOK_FORMAT"] = "json",
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
            var cut = await run.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(RunStatus.Failed, cut.Status);
            var error = Assert.Single(cut.Errors);
            Assert.Contains("postgres", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", error.Message, StringComparison.Ordinal);
            // With Postgres gone there is no outbox: the alert is sent inline, deduplicated in memory.
            var alert = JsonDocument.Parse(Assert.Single(webhook.Requests).Body).RootElement;
            Assert.Equal(("run_failed", cut.RunId.ToString()), (alert.GetProperty("kind").GetString(), alert.GetProperty("run_id").GetString()));

            await postgres.StartAgainAsync();
            NpgsqlConnection.ClearAllPools();
            llm.Default = llm.Default with { Delay = TimeSpan.Zero };
            Assert.Equal(RunStatus.Completed, (await RunAsync(services)).Status);
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
