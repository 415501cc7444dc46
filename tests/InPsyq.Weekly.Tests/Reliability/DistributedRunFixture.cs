using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Interpretation;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// The demo tenant for last week, a fake LLM with latency (so items overlap), the settings every host process of a
/// distributed run gets (items of 2 teams, a message invisible for 3 s and renewed every second, a heartbeat a second),
/// and the reference: the week run once in this one process, its every stage output snapshotted. The distributed runs
/// recompute the same week with <c>force</c> on the same data and must store exactly that again.
/// </summary>
public sealed class DistributedRunFixture : IntegrationFixture
{
    private FakeOpenAIServer? _llm;

    public FakeOpenAIServer Llm => _llm ?? throw new InvalidOperationException("The fixture is not initialised.");

    /// <summary>Every stage output of the week after the single-process reference run, as <see cref="PipelineOutputs.SnapshotAsync"/> reads it.</summary>
    public string Reference { get; private set; } = string.Empty;

    /// <summary>The reference run's result of every team and stage, as <see cref="ResultsOfAsync"/> reads them.</summary>
    public IReadOnlyList<string> ReferenceResults { get; private set; } = [];

    public static FakeReply Reply(TimeSpan latency) => FakeReply.Completion(InterpretationTestData.ValidSectionsJson(withDrivers: false)) with { Delay = latency };

    public Dictionary<string, string?> HostSettings
    {
        get
        {
            var settings = Settings;
            foreach (var (key, value) in InterpretationHarness.LlmSettings(Llm, timeoutSeconds: 10))
            {
                settings[key] = value;
            }

            settings["WEEKLY_WORK_ITEM_TEAMS"] = "2";
            settings["WEEKLY_WORK_VISIBILITY_SECONDS"] = "3";
            settings["WEEKLY_WORK_RENEW_SECONDS"] = "1";
            settings["WEEKLY_WORK_OUTBOX_RESEND_SECONDS"] = "1";
            settings["WEEKLY_RUN_HEARTBEAT_SECONDS"] = "1";
            settings["WEEKLY_RUN_STALL_SECONDS"] = "8";
            settings["WEEKLY_HTTP_WAIT_SECONDS"] = "1";
            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await new DemoTenantSeeder(DataSource).SeedAsync(DemoTenant.DefaultSeed, RunnerHarness.LastWeek, CancellationToken.None);
        _llm = await FakeOpenAIServer.StartAsync();
        _llm.Default = Reply(TimeSpan.FromMilliseconds(250));
        var report = (await CreateServices(HostSettings).GetRequiredService<WeeklyRunner>()
            .RunAsync(RunnerHarness.Request(), RunTrigger.Cli, CancellationToken.None)).Report;
        if (report?.Status != RunStatus.Completed)
        {
            throw new InvalidOperationException($"The single-process reference run ended {report?.Status}.");
        }

        ReferenceResults = await ResultsOfAsync(report.RunId);
        Reference = await PipelineOutputs.SnapshotAsync(DataSource, BlobService.GetBlobContainerClient(AttributionContainer), RunnerHarness.LastWeek.Monday);
    }

    public override async Task DisposeAsync()
    {
        if (_llm is not null)
        {
            await _llm.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    /// <summary>A run's result of every team and stage (status and reason), in (org, team, stage) order.</summary>
    public async Task<IReadOnlyList<string>> ResultsOfAsync(Guid runId) =>
        [.. (await new WorkItemStore(DataSource).ResultsAsync(runId, CancellationToken.None))
            .Select(result => $"{result.TeamId} {result.Stage} {result.Status} {result.Reason}")];
}
