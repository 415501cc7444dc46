using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>The seeds' executor behaviours, on a fake clock, every attempt checked in <c>scheduled_job_executions</c>.</summary>
public sealed class JobRunnerTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private static readonly RetryPolicy s_threeAttempts = new(3, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(3), Jitter: 0);

    private readonly FakeTimeProvider _clock = new(JobKit.Start);

    [Fact]
    public async Task A_succeeding_handler_is_recorded_with_its_data_and_host()
    {
        var job = JobKit.Job("succeeds", (_, _) => Task.FromResult<JobOutcome?>(
            JobOutcome.Succeeded(new { answer = 42 }, new Dictionary<string, double> { ["rows"] = 3 })));

        var result = await JobKit.Runner(fixture, _clock, job).RunAsync("succeeds", JobTrigger.Manual, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Equal((JobStatus.Succeeded, 1), (result.Status, result.Attempt));
        var attempt = Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, "succeeds"));
        Assert.Equal((1, "manual", "succeeded"), (attempt.Number, attempt.Trigger, attempt.Status));
        Assert.Contains("\"answer\": 42", attempt.Result, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(attempt.Host));
    }

    [Fact]
    public async Task A_thrown_error_fails_the_attempt_with_a_code_not_its_message()
    {
        var job = JobKit.Job("throws", (_, _) => throw new InvalidOperationException("boom"));

        var result = await JobKit.Runner(fixture, _clock, job).RunAsync("throws", JobTrigger.Schedule, CancellationToken.None);

        var expected = $"HANDLER_FAILED: the job failed with an unexpected error; see the logs for execution {result.ExecutionId}";
        Assert.False(result.Success);
        Assert.Equal(JobStatus.Failed, result.Status);
        Assert.Equal(expected, result.Error);
        var attempt = Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, "throws"));
        Assert.Equal(("schedule", "failed", expected), (attempt.Trigger, attempt.Status, attempt.Error));
    }

    [Fact]
    public async Task The_handler_gets_its_context()
    {
        JobContext? seen = null;
        var job = JobKit.Job("context", (context, _) =>
        {
            seen = context;
            return Task.FromResult<JobOutcome?>(JobOutcome.Succeeded());
        });

        var result = await JobKit.Runner(fixture, _clock, job).RunAsync("context", JobTrigger.Schedule, CancellationToken.None);

        Assert.Equal(new JobContext("context", result.ExecutionId, 1, JobTrigger.Schedule), seen);
    }

    [Fact]
    public async Task A_missing_result_is_a_failure_with_a_clear_error()
    {
        var job = JobKit.Job("no-result", (_, _) => Task.FromResult<JobOutcome?>(null));

        var result = await JobKit.Runner(fixture, _clock, job).RunAsync("no-result", JobTrigger.Manual, CancellationToken.None);

        Assert.Equal(JobStatus.Failed, result.Status);
        Assert.StartsWith("NO_RESULT", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handler_that_ignores_its_token_times_out_at_the_timeout()
    {
        var started = new TaskCompletionSource();
        var job = JobKit.Job("ignores-token", (_, _) =>
        {
            started.SetResult();
            return new TaskCompletionSource<JobOutcome?>().Task;
        }, timeout: TimeSpan.FromSeconds(5));
        var running = JobKit.Runner(fixture, _clock, job).RunAsync("ignores-token", JobTrigger.Manual, CancellationToken.None);
        await started.Task;

        _clock.Advance(TimeSpan.FromSeconds(4.9));
        await Task.Delay(50);
        Assert.False(running.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        var result = await running;

        Assert.Equal(JobStatus.TimedOut, result.Status);
        Assert.Equal(TimeSpan.FromSeconds(5), result.Duration);
        var attempt = Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, "ignores-token"));
        Assert.Equal(("timed_out", 5000L), (attempt.Status, attempt.DurationMs));
    }

    [Fact]
    public async Task Retries_make_exactly_max_attempts_numbered_1_to_n_then_report_retries_exhausted()
    {
        var job = JobKit.Job("always-fails", (_, _) => Task.FromResult<JobOutcome?>(JobOutcome.Failed("NOPE")), retry: s_threeAttempts);
        var running = JobKit.Runner(fixture, _clock, job).RunAsync("always-fails", JobTrigger.Manual, CancellationToken.None);

        await JobKit.AdvanceUntilAsync(_clock, TimeSpan.FromMilliseconds(250), () => running.IsCompleted, "the retries end");
        var result = await running;

        Assert.Equal((JobStatus.Failed, 3, "RETRIES_EXHAUSTED: NOPE"), (result.Status, result.Attempt, result.Error));
        var attempts = await JobKit.AttemptsAsync(fixture.DataSource, "always-fails");
        Assert.Equal([(1, "manual"), (2, "retry"), (3, "retry")], attempts.Select(attempt => (attempt.Number, attempt.Trigger)));
        Assert.All(attempts, attempt => Assert.Equal(("failed", "NOPE"), (attempt.Status, attempt.Error)));
        Assert.True(_clock.GetUtcNow() - JobKit.Start >= TimeSpan.FromSeconds(3), "backoff 1 s then 2 s");
    }

    [Fact]
    public async Task Timeouts_are_retried_and_a_later_success_ends_the_execution()
    {
        var calls = 0;
        var job = JobKit.Job("slow-then-fine", async (_, token) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, token);
            }

            return JobOutcome.Succeeded();
        }, timeout: TimeSpan.FromSeconds(2), retry: s_threeAttempts);
        var running = JobKit.Runner(fixture, _clock, job).RunAsync("slow-then-fine", JobTrigger.Schedule, CancellationToken.None);

        await JobKit.AdvanceUntilAsync(_clock, TimeSpan.FromMilliseconds(250), () => running.IsCompleted, "the retry succeeds");

        Assert.Equal((JobStatus.Succeeded, 2), ((await running).Status, (await running).Attempt));
        var attempts = await JobKit.AttemptsAsync(fixture.DataSource, "slow-then-fine");
        Assert.Equal([(1, "schedule", "timed_out"), (2, "retry", "succeeded")], attempts.Select(attempt => (attempt.Number, attempt.Trigger, attempt.Status)));
    }

    [Fact]
    public async Task Retries_stop_early_when_the_next_occurrence_would_come_first()
    {
        // Every minute; at 10:00:30 a 40 s backoff would end after the 10:01:00 occurrence.
        var job = JobKit.Job("every-minute", (_, _) => Task.FromResult<JobOutcome?>(JobOutcome.Failed("NOPE")), schedule: "0 * * * * *",
            retry: new RetryPolicy(5, TimeSpan.FromSeconds(40), 2, TimeSpan.FromMinutes(5), Jitter: 0));

        var result = await JobKit.Runner(fixture, _clock, job).RunAsync("every-minute", JobTrigger.Schedule, CancellationToken.None);

        Assert.Equal((JobStatus.Failed, 1, "NOPE"), (result.Status, result.Attempt, result.Error));
        Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, "every-minute"));
    }

    [Fact]
    public async Task Skipped_is_not_retried()
    {
        var job = JobKit.Job("nothing-to-do", (_, _) => Task.FromResult<JobOutcome?>(JobOutcome.Skipped("NOTHING")), retry: s_threeAttempts);

        var result = await JobKit.Runner(fixture, _clock, job).RunAsync("nothing-to-do", JobTrigger.Schedule, CancellationToken.None);

        Assert.Equal((JobStatus.Skipped, "NOTHING"), (result.Status, result.Error));
        Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, "nothing-to-do"));
    }

    [Fact]
    public async Task A_manual_cancel_is_recorded_cancelled_never_timed_out_even_when_the_handler_ignores_it()
    {
        var started = new TaskCompletionSource();
        var job = JobKit.Job("cancel-me", (_, _) =>
        {
            started.SetResult();
            return new TaskCompletionSource<JobOutcome?>().Task;
        }, timeout: TimeSpan.FromSeconds(1), retry: s_threeAttempts);
        var runner = JobKit.Runner(fixture, _clock, job);
        var running = runner.RunAsync("cancel-me", JobTrigger.Manual, CancellationToken.None);
        await started.Task;

        Assert.NotNull(await runner.RequestCancelAsync("cancel-me", CancellationToken.None));
        _clock.Advance(TimeSpan.FromSeconds(1));
        var result = await running;

        Assert.Equal((JobStatus.Cancelled, 1), (result.Status, result.Attempt));
        Assert.Equal("cancelled", Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, "cancel-me")).Status);
        // Its handler never returns, so the job stays occupied (no retry, no second execution can overlap it).
        Assert.True(runner.IsRunning("cancel-me"));
        Assert.Equal(result.ExecutionId, await runner.RequestCancelAsync("cancel-me", CancellationToken.None));
    }

    [Fact]
    public async Task The_runner_exposes_its_running_count_and_refuses_a_second_run_of_a_running_job()
    {
        var release = new TaskCompletionSource<JobOutcome?>();
        var runner = JobKit.Runner(fixture, _clock, JobKit.Job("blocks-a", (_, _) => release.Task), JobKit.Job("blocks-b", (_, _) => release.Task));
        var a = runner.RunAsync("blocks-a", JobTrigger.Schedule, CancellationToken.None);
        var b = runner.RunAsync("blocks-b", JobTrigger.Schedule, CancellationToken.None);
        Assert.Equal(2, runner.RunningCount);
        Assert.True(runner.IsRunning("blocks-a"));

        var refused = await runner.RunAsync("blocks-a", JobTrigger.Manual, CancellationToken.None);
        release.SetResult(JobOutcome.Succeeded());
        await Task.WhenAll(a, b);

        Assert.True(refused.WasAlreadyRunning);
        Assert.Equal(0, runner.RunningCount);
        var attempts = await JobKit.AttemptsAsync(fixture.DataSource, "blocks-a");
        Assert.Contains(attempts, attempt => attempt is { Trigger: "manual", Status: "skipped", Error: JobWire.AlreadyRunning });
        Assert.Contains(attempts, attempt => attempt is { Trigger: "schedule", Status: "succeeded" });
    }

    [Fact]
    public async Task A_graceful_stop_waits_for_the_grace_period_then_records_running_jobs_cancelled_and_takes_no_new_work()
    {
        var finishes = new TaskCompletionSource<JobOutcome?>();
        var started = new TaskCompletionSource();
        var runner = JobKit.Runner(
            fixture,
            _clock,
            JobKit.Job("finishes-in-grace", (_, _) => finishes.Task),
            JobKit.Job("outlives-grace", async (_, token) =>
            {
                started.SetResult();
                await Task.Delay(Timeout.Infinite, token);
                return JobOutcome.Succeeded();
            }, timeout: TimeSpan.FromHours(2)));
        var quick = runner.RunAsync("finishes-in-grace", JobTrigger.Schedule, CancellationToken.None);
        var slow = runner.RunAsync("outlives-grace", JobTrigger.Schedule, CancellationToken.None);
        await started.Task;

        var stopping = runner.StopAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        finishes.SetResult(JobOutcome.Succeeded());
        Assert.Equal(JobStatus.Succeeded, (await quick).Status);
        var refused = await runner.RunAsync("finishes-in-grace", JobTrigger.Manual, CancellationToken.None);
        await JobKit.AdvanceUntilAsync(_clock, TimeSpan.FromSeconds(1), () => stopping.IsCompleted, "the stop completes");
        await stopping;

        Assert.Equal(JobStatus.Cancelled, (await slow).Status);
        Assert.Equal(JobStatus.Cancelled, refused.Status);
        Assert.Equal("cancelled", Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, "outlives-grace")).Status);
        Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, "finishes-in-grace"));
        Assert.True(_clock.GetUtcNow() - JobKit.Start >= TimeSpan.FromSeconds(30));
    }
}
