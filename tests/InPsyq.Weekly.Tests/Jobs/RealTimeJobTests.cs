using System.Diagnostics;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Tests.Infrastructure;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>Job tests on the real clock: they run apart from the parallel ones so that their bounds hold.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class JobsRealTimeTests
{
    public const string Name = "Jobs real time";
}

[Collection(JobsRealTimeTests.Name)]
public sealed class RealTimeJobTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_handler_that_blocks_and_ignores_cancellation_times_out_after_about_20_ms()
    {
        var job = JobKit.Job("blocks", (_, _) =>
        {
            Thread.Sleep(2000);
            return Task.FromResult<JobOutcome?>(JobOutcome.Succeeded());
        }, timeout: TimeSpan.FromMilliseconds(20));
        var runner = JobKit.Runner(fixture, TimeProvider.System, job);

        var stopwatch = Stopwatch.StartNew();
        var result = await runner.RunAsync("blocks", JobTrigger.Manual, CancellationToken.None);
        stopwatch.Stop();

        Assert.Equal(JobStatus.TimedOut, result.Status);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"took {stopwatch.Elapsed}");
        var attempt = Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, "blocks"));
        Assert.Equal("timed_out", attempt.Status);
        Assert.InRange(attempt.DurationMs!.Value, 15, 999);
    }
}
