using InPsyq.Weekly.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Jobs;

/// <summary>
/// The standalone host's scheduler. Each enabled job's next run comes from its schedule (never from when the last
/// run finished); an occurrence that finds the job still running is skipped, since a running job is not due. Due
/// jobs start while fewer than <c>JOBS_MAX_CONCURRENCY</c> executions run; the others wait in due-time order and
/// are never dropped. On start, each enabled job with a <see cref="JobDefinition.CatchUp"/> that reports a missed
/// occurrence (<c>weekly-run</c> when no run exists for its target week) fires one catch-up run.
/// Stopping waits up to <c>JOBS_SHUTDOWN_GRACE_SECONDS</c> for running jobs, then cancels them.
/// </summary>
public sealed partial class JobScheduler(
    JobRegistry registry,
    JobRunner runner,
    IOptions<JobsOptions> options,
    TimeProvider time,
    ILogger<JobScheduler> logger) : BackgroundService
{
    private static readonly TimeSpan s_armingTolerance = TimeSpan.FromMilliseconds(100);

    private readonly List<(DateTimeOffset Due, RegisteredJob Job)> _waiting = [];
    private TaskCompletionSource _wake = NewWake();

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await runner.StopAsync(options.Value.ShutdownGrace, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var jobs = registry.Jobs.Where(job => job.Definition.Enabled).ToList();
        var now = time.GetUtcNow();
        var next = jobs.ToDictionary(job => job.Id, job => job.Schedule.NextOccurrenceAfter(now), StringComparer.Ordinal);
        foreach (var job in registry.Jobs)
        {
            LogJob(job.Id, job.Definition.Enabled ? "enabled" : "disabled", job.Schedule.Expression, next.TryGetValue(job.Id, out var at) ? at : null);
        }

        foreach (var job in jobs)
        {
            if (job.Definition.CatchUp is { } catchUp && await catchUp(stoppingToken) is { } missed)
            {
                LogCatchUp(job.Id, missed);
                _waiting.Add((now, job));
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = Volatile.Read(ref _wake);
            now = time.GetUtcNow();
            foreach (var job in jobs.Where(job => next[job.Id] <= now))
            {
                if (runner.IsRunning(job.Id) || _waiting.Exists(waiting => waiting.Job == job))
                {
                    LogNotDue(job.Id, next[job.Id]);
                }
                else
                {
                    _waiting.Add((next[job.Id], job));
                }

                next[job.Id] = job.Schedule.NextOccurrenceAfter(now);
                LogNext(job.Id, next[job.Id]);
            }

            StartWaitingJobs();
            var delay = next.Count == 0 ? Timeout.InfiniteTimeSpan : next.Values.Min() - now;
            using var sleep = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var sleeping = Task.Delay(delay, time, sleep.Token);
            // The timer counts from when it is armed, not from `now`: had the clock jumped in between (a paused
            // process, a test clock), the wake would come late by the jump. Then look again instead of sleeping.
            if (time.GetUtcNow() - now < s_armingTolerance)
            {
                await Task.WhenAny(sleeping, wake.Task);
            }

            await sleep.CancelAsync();
            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, NewWake(), wake);
            }
        }
    }

    private void StartWaitingJobs()
    {
        _waiting.Sort((a, b) => a.Due != b.Due ? a.Due.CompareTo(b.Due) : string.CompareOrdinal(a.Job.Id, b.Job.Id));
        while (_waiting.Count > 0 && runner.RunningCount < options.Value.MaxConcurrency)
        {
            var (_, job) = _waiting[0];
            _waiting.RemoveAt(0);
            if (!runner.IsRunning(job.Id))
            {
                // RunAsync counts the job as running before its first await, so the loop sees the new count.
                _ = RunAsync(job);
            }
        }
    }

    private async Task RunAsync(RegisteredJob job)
    {
        try
        {
            // Not the stopping token: a graceful stop lets running jobs finish within the grace period.
            var result = await runner.RunAsync(job, JobTrigger.Schedule, CancellationToken.None);
            LogFinished(job.Id, result.Status.ToWire(), result.Attempt, result.Error);
            await runner.WhenReleasedAsync(job.Id, result.ExecutionId);
        }
        catch (Exception e)
        {
            LogFailed(job.Id, e);
        }
        finally
        {
            Volatile.Read(ref _wake).TrySetResult();
        }
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {State}, schedule '{Schedule}', next run at {NextRun:O}")]
    private partial void LogJob(string jobId, string state, string schedule, DateTimeOffset? nextRun);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {Missed}; firing the catch-up run")]
    private partial void LogCatchUp(string jobId, string missed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: next run at {NextRun:O}")]
    private partial void LogNext(string jobId, DateTimeOffset nextRun);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: occurrence {Occurrence:O} skipped, the job is still running or waiting")]
    private partial void LogNotDue(string jobId, DateTimeOffset occurrence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: finished {Status} after {Attempt} attempt(s) {Error}")]
    private partial void LogFinished(string jobId, string status, int attempt, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: the run could not be recorded")]
    private partial void LogFailed(string jobId, Exception exception);
}
