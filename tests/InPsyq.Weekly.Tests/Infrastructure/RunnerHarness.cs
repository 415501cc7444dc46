using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>The runner library with three scripted stages, for orchestration tests.</summary>
public sealed class RunnerHarness
{
    public RunnerHarness(
        IntegrationFixture fixture,
        IReadOnlyDictionary<string, string?>? settings = null,
        ILoggerProvider? logs = null,
        Action<IServiceCollection>? configure = null)
    {
        Services = fixture.CreateServices(
            settings,
            services =>
            {
                foreach (var stage in Stages)
                {
                    services.AddSingleton<IPipelineStage>(stage);
                }

                configure?.Invoke(services);
            },
            logs);
    }

    public ScriptedStage Rollup { get; } = new(PipelineStage.Rollup);

    public ScriptedStage Attribution { get; } = new(PipelineStage.Attribution);

    public ScriptedStage Interpretation { get; } = new(PipelineStage.Interpretation);

    public IReadOnlyList<ScriptedStage> Stages => [Rollup, Attribution, Interpretation];

    public IServiceProvider Services { get; }

    public static IsoWeek LastWeek => IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-1);

    public Task<RunResult> RunAsync(RunRequest request, RunTrigger trigger = RunTrigger.Cli) =>
        Services.GetRequiredService<WeeklyRunner>().RunAsync(request, trigger, CancellationToken.None);

    public static RunRequest Request(
        RunMode mode = RunMode.Full, Guid? orgId = null, Guid? teamId = null, bool dryRun = false, bool force = false, IsoWeek? week = null) =>
        new(week ?? LastWeek, orgId, teamId, mode, dryRun, force);
}
