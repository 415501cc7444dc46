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

    [Fact]
    public async Task A_timed_out_handler_that_ignores_its_token_keeps_the_job_occupied_here_and_on_other_hosts_until_it_returns()
    {
        using var handler = new FirstCallIgnoresItsToken();
        var job = JobKit.Job("stray", handler.HandleAsync, timeout: TimeSpan.FromMilliseconds(20));
        var here = JobKit.Runner(fixture, TimeProvider.System, job);
        var otherHost = JobKit.Runner(fixture, TimeProvider.System, job);

        var timedOut = await here.RunAsync("stray", JobTrigger.Manual, CancellationToken.None);
        var released = here.WhenReleasedAsync("stray", timedOut.ExecutionId);
        var refusedHere = await here.RunAsync("stray", JobTrigger.Manual, CancellationToken.None);
        var refusedThere = await otherHost.RunAsync("stray", JobTrigger.Schedule, CancellationToken.None);
        Assert.False(released.IsCompleted);
        Assert.True(here.IsRunning("stray"));

        handler.LetTheFirstCallReturn();
        await released.WaitAsync(TimeSpan.FromSeconds(10));
        var afterwards = await otherHost.RunAsync("stray", JobTrigger.Schedule, CancellationToken.None);

        Assert.Equal(JobStatus.TimedOut, timedOut.Status);
        Assert.True(refusedHere.WasAlreadyRunning);
        Assert.True(refusedThere.WasAlreadyRunning);
        Assert.False(here.IsRunning("stray"));
        Assert.Equal(JobStatus.Succeeded, afterwards.Status);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public async Task A_retry_waits_for_the_handler_of_the_timed_out_attempt_to_return()
    {
        using var handler = new FirstCallIgnoresItsToken();
        var job = JobKit.Job("stray-retry", handler.HandleAsync, timeout: TimeSpan.FromMilliseconds(20), retry: new RetryPolicy(2, TimeSpan.FromMilliseconds(10), 1, TimeSpan.FromMilliseconds(10), 0));
        var runner = JobKit.Runner(fixture, TimeProvider.System, job);

        var running = runner.RunAsync("stray-retry", JobTrigger.Manual, CancellationToken.None);
        await Eventually.UntilAsync(async () => (await JobKit.AttemptsAsync(fixture.DataSource, "stray-retry")).Any(attempt => attempt.Status == "timed_out"), "attempt 1 timed out");
        await Task.Delay(300);
        var callsWhileTheFirstHandlerRuns = handler.Calls;
        handler.LetTheFirstCallReturn();
        var result = await running;

        Assert.Equal(1, callsWhileTheFirstHandlerRuns);
        Assert.Equal((JobStatus.Succeeded, 2), (result.Status, result.Attempt));
    }

    /// <summary>A handler whose first call blocks until released, ignoring its token; later calls succeed at once.</summary>
    private sealed class FirstCallIgnoresItsToken : IDisposable
    {
        private readonly ManualResetEventSlim _firstCallMayReturn = new();
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<JobOutcome?> HandleAsync(JobContext context, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                _firstCallMayReturn.Wait(CancellationToken.None);
            }

            return Task.FromResult<JobOutcome?>(JobOutcome.Succeeded());
        }

        public void LetTheFirstCallReturn() => _firstCallMayReturn.Set();

        public void Dispose() => _firstCallMayReturn.Dispose();
    }
}
