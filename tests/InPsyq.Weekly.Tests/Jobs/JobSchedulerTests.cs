using System.Collections.Concurrent;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>The seeds' scheduler behaviours on a fake clock, with real execution tracking.</summary>
public sealed class JobSchedulerTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private readonly JumpingClock _clock = new(JobKit.Start);
    private readonly ConcurrentQueue<(string JobId, DateTimeOffset At)> _starts = new();

    [Fact]
    public async Task The_next_run_comes_from_the_schedule_not_from_when_the_last_run_finished()
    {
        var job = JobKit.Job("every-minute", Takes(TimeSpan.FromSeconds(30)), schedule: "0 * * * * *");
        await using var scheduler = await StartAsync(job);

        await AdvanceAsync(TimeSpan.FromSeconds(30), () => _starts.Count == 1, "the 10:01 run started");
        await AdvanceAsync(TimeSpan.FromSeconds(30), () => scheduler.Runner.RunningCount == 0, "the 10:01 run finished at 10:01:30");
        await AdvanceAsync(TimeSpan.FromSeconds(30), () => _starts.Count == 2, "the 10:02 run started");

        Assert.Equal([At(10, 1, 0), At(10, 2, 0)], _starts.Select(start => start.At));
    }

    [Fact]
    public async Task A_clock_jump_while_the_scheduler_arms_its_timer_does_not_delay_a_due_job()
    {
        var job = JobKit.Job("every-minute", Takes(TimeSpan.Zero), schedule: "0 * * * * *");
        _clock.JumpBeforeNextTimer(TimeSpan.FromSeconds(35));
        await using var scheduler = await StartAsync(job);

        // No further advance: a timer armed after the jump, for the delay read before it, would wake at 10:01:35.
        await Eventually.UntilAsync(() => _starts.Count == 1, "the 10:01 run started");

        Assert.Equal(At(10, 1, 5), Assert.Single(_starts).At);
    }

    [Fact]
    public async Task A_running_job_is_not_due_so_occurrences_during_a_run_are_skipped()
    {
        var job = JobKit.Job("long-runner", Takes(TimeSpan.FromSeconds(90)), schedule: "0 * * * * *");
        await using var scheduler = await StartAsync(job);

        await AdvanceAsync(TimeSpan.FromSeconds(30), () => _starts.Count == 1, "the 10:01 run started");
        await AdvanceAsync(
            TimeSpan.FromSeconds(60),
            () => scheduler.Logs.Entries.Any(entry => entry.Message.Contains("skipped, the job is still running", StringComparison.Ordinal)),
            "the 10:02 occurrence was skipped");
        await AdvanceAsync(TimeSpan.FromSeconds(30), () => scheduler.Runner.RunningCount == 0, "the run finished at 10:02:30");
        await AdvanceAsync(TimeSpan.FromSeconds(30), () => _starts.Count == 2, "the 10:03 run started");

        Assert.Equal([At(10, 1, 0), At(10, 3, 0)], _starts.Select(start => start.At));
        Assert.Equal(2, (await JobKit.AttemptsAsync(fixture.DataSource, "long-runner")).Count);
    }

    [Fact]
    public async Task Disabled_jobs_are_never_due()
    {
        var job = JobKit.Job("disabled", Takes(TimeSpan.Zero), schedule: "0 * * * * *") with { Enabled = false };
        var enabled = JobKit.Job("enabled", Takes(TimeSpan.Zero), schedule: "0 * * * * *");
        await using var scheduler = await StartAsync(job, enabled);

        await JobKit.AdvanceUntilAsync(_clock, TimeSpan.FromSeconds(5), () => _starts.Count == 3, "three runs started");

        Assert.All(_starts, start => Assert.Equal("enabled", start.JobId));
        Assert.Empty(await JobKit.AttemptsAsync(fixture.DataSource, "disabled"));
    }

    [Fact]
    public async Task Due_jobs_beyond_the_concurrency_limit_wait_in_due_time_order_and_are_never_dropped()
    {
        var releases = new ConcurrentDictionary<string, TaskCompletionSource<JobOutcome?>>();
        JobDefinition Blocking(string id, int second) => JobKit.Job(id, (context, _) =>
        {
            _starts.Enqueue((context.JobId, _clock.GetUtcNow()));
            return releases.GetOrAdd(context.JobId, _ => new()).Task;
        }, schedule: $"{second} 0 10 * * *");
        await using var scheduler = await StartAsync(maxConcurrency: 2, Blocking("d-last", 55), Blocking("c-third", 50), Blocking("b-second", 45), Blocking("a-first", 40));

        _clock.Advance(TimeSpan.FromSeconds(30));
        await Eventually.UntilAsync(() => _starts.Count == 2, "two jobs started");
        Assert.Equal(2, scheduler.Runner.RunningCount);
        await Task.Delay(100);
        Assert.Equal(["a-first", "b-second"], _starts.Select(start => start.JobId).Order());

        releases["b-second"].SetResult(JobOutcome.Succeeded());
        await Eventually.UntilAsync(() => _starts.Count == 3, "the earliest waiting job started");
        releases["a-first"].SetResult(JobOutcome.Succeeded());
        await Eventually.UntilAsync(() => _starts.Count == 4, "the last waiting job started");
        releases["c-third"].SetResult(JobOutcome.Succeeded());
        releases["d-last"].SetResult(JobOutcome.Succeeded());

        Assert.Equal(["c-third", "d-last"], _starts.Skip(2).Select(start => start.JobId));
        await Eventually.UntilAsync(() => scheduler.Runner.RunningCount == 0, "every job finished");
        foreach (var id in releases.Keys)
        {
            Assert.Equal("succeeded", Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, id)).Status);
        }
    }

    [Fact]
    public async Task A_job_waiting_for_the_slot_of_a_handler_that_ignored_its_timeout_starts_when_that_handler_returns()
    {
        using var handlerMayReturn = new ManualResetEventSlim();
        var ignoresTimeout = JobKit.Job("a-ignores-its-timeout", (context, _) =>
        {
            _starts.Enqueue((context.JobId, _clock.GetUtcNow()));
            handlerMayReturn.Wait(CancellationToken.None); // ignores its token on purpose
            return Task.FromResult<JobOutcome?>(JobOutcome.Succeeded());
        }, schedule: "0 1 10 * * *", timeout: TimeSpan.FromSeconds(10));
        await using var scheduler = await StartAsync(maxConcurrency: 1, ignoresTimeout, JobKit.Job("b-waits", Takes(TimeSpan.Zero), schedule: "5 1 10 * * *"));

        await AdvanceAsync(TimeSpan.FromSeconds(30), () => _starts.Count == 1, "the first job started at 10:01:00");
        _clock.Advance(TimeSpan.FromSeconds(15));
        await Eventually.UntilAsync(
            async () => (await JobKit.AttemptsAsync(fixture.DataSource, "a-ignores-its-timeout")).Any(attempt => attempt.Status == "timed_out"),
            "the first job timed out at 10:01:10");
        await Task.Delay(200);
        var startsWhileItsHandlerRuns = _starts.Count;
        handlerMayReturn.Set();

        // No clock advance: the handler's return itself frees the slot and wakes the scheduler.
        await Eventually.UntilAsync(() => _starts.Count == 2, "the waiting job started");
        Assert.Equal(1, startsWhileItsHandlerRuns);
        Assert.Equal(("b-waits", At(10, 1, 15)), _starts.Last());
    }

    [Fact]
    public async Task On_start_weekly_run_fires_its_catch_up_once_when_no_run_exists_for_its_week()
    {
        var services = fixture.CreateServices(configure: s => s.AddSingleton<TimeProvider>(_clock));
        var registry = services.GetRequiredService<JobRegistry>();

        await using (var first = await StartAsync(services, registry))
        {
            await Eventually.UntilAsync(
                async () => first.Runner.RunningCount == 0 && (await JobKit.AttemptsAsync(fixture.DataSource, WeeklyRunJob.Id)).Count == 1,
                "the catch-up finished");
        }

        await using (var second = await StartAsync(services, registry))
        {
            await Task.Delay(300);
        }

        var attempt = Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, WeeklyRunJob.Id));
        Assert.Equal(("schedule", "succeeded"), (attempt.Trigger, attempt.Status));
        Assert.Contains("\"week_start\": \"2025-10-13\"", attempt.Result, StringComparison.Ordinal);
    }

    /// <summary>Moves the fake clock once, then waits in real time for the effect (the jobs run on the thread pool).</summary>
    private async Task AdvanceAsync(TimeSpan by, Func<bool> until, string what)
    {
        _clock.Advance(by);
        await Eventually.UntilAsync(until, what);
        await Task.Delay(50);
    }

    private static DateTimeOffset At(int hour, int minute, int second) => new(2025, 10, 22, hour, minute, second, TimeSpan.Zero);

    private JobHandler Takes(TimeSpan duration) => async (context, token) =>
    {
        _starts.Enqueue((context.JobId, _clock.GetUtcNow()));
        await Task.Delay(duration, _clock, token);
        return JobOutcome.Succeeded();
    };

    private Task<RunningScheduler> StartAsync(params JobDefinition[] jobs) => StartAsync(maxConcurrency: 2, jobs);

    private Task<RunningScheduler> StartAsync(int maxConcurrency, params JobDefinition[] jobs) =>
        StartAsync(fixture.CreateServices(), new JobRegistry(jobs), maxConcurrency);

    private async Task<RunningScheduler> StartAsync(IServiceProvider services, JobRegistry registry, int maxConcurrency = 2)
    {
        var runner = JobKit.Runner(services, registry, _clock);
        var logs = new CapturingLoggerProvider();
        var scheduler = JobKit.Scheduler(registry, runner, _clock, logs, maxConcurrency);
        await scheduler.StartAsync(CancellationToken.None);
        // ExecuteAsync runs in the background: the clock may move only once the scheduler has read it.
        await Eventually.UntilAsync(() => logs.Entries.Any(entry => entry.Message.StartsWith("Job ", StringComparison.Ordinal)), "the scheduler listed its jobs");
        return new RunningScheduler(scheduler, runner, _clock, logs);
    }

    /// <summary>A fake clock that can jump forward just before the next timer is armed, as a paused process would.</summary>
    private sealed class JumpingClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private long _jumpTicks;

        public void JumpBeforeNextTimer(TimeSpan by) => Interlocked.Exchange(ref _jumpTicks, by.Ticks);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (Interlocked.Exchange(ref _jumpTicks, 0) is var jump and > 0)
            {
                Advance(TimeSpan.FromTicks(jump));
            }

            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    private sealed class RunningScheduler(JobScheduler scheduler, JobRunner runner, FakeTimeProvider clock, CapturingLoggerProvider logs) : IAsyncDisposable
    {
        public JobRunner Runner { get; } = runner;

        public CapturingLoggerProvider Logs { get; } = logs;

        /// <summary>Stops like a host: the grace period passes on the fake clock, then running jobs are cancelled.</summary>
        public async ValueTask DisposeAsync()
        {
            var stopping = scheduler.StopAsync(CancellationToken.None);
            await JobKit.AdvanceUntilAsync(clock, TimeSpan.FromSeconds(1), () => stopping.IsCompleted, "the scheduler stopped");
            await stopping;
            scheduler.Dispose();
            Runner.Dispose();
        }
    }
}
