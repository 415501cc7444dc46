using System.Collections.Concurrent;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Jobs;

/// <summary>
/// Runs jobs: one execution at a time per job id (here and across hosts), each attempt tracked in
/// <c>scheduled_job_executions</c>, bounded by the job's timeout whether or not the handler honours its token,
/// retried with exponential backoff and jitter, and cancelled (never "timed out") on shutdown or a manual cancel, which
/// may come from any host (recorded in the <see cref="JobExecutionLog"/>, polled every <c>JOBS_CANCEL_POLL_SECONDS</c>).
/// A handler the runner stopped waiting for but that has not returned still counts as running: no retry and no other
/// execution of its job starts before it ends, so a job never overlaps itself even when its handler ignores the token.
/// </summary>
public sealed partial class JobRunner(
    JobRegistry registry,
    JobExecutionLog log,
    JobOverlapGuard overlapGuard,
    IJitterSource jitter,
    IOptions<JobsOptions> options,
    TimeProvider time,
    ILogger<JobRunner> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, RunningJob> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    private volatile bool _stopping;

    /// <summary>How many executions (scheduled or manual) are in progress in this process.</summary>
    public int RunningCount => _running.Count;

    public bool IsRunning(string jobId) => _running.ContainsKey(jobId);

    /// <summary>Runs a registered job now. Throws <see cref="KeyNotFoundException"/> for an unknown id.</summary>
    public Task<JobResult> RunAsync(string jobId, JobTrigger trigger, CancellationToken cancellationToken) =>
        RunAsync(jobId, trigger, caller: null, cancellationToken);

    /// <summary>As <see cref="RunAsync(string, JobTrigger, CancellationToken)"/>, for the <paramref name="caller"/> of a manual run (a token's identity).</summary>
    public Task<JobResult> RunAsync(string jobId, JobTrigger trigger, CallerIdentity? caller, CancellationToken cancellationToken) =>
        RunCoreAsync(registry.Find(jobId) ?? throw new KeyNotFoundException($"No job '{jobId}' is registered."), trigger, caller, cancellationToken);

    public Task<JobResult> RunAsync(RegisteredJob job, JobTrigger trigger, CancellationToken cancellationToken) =>
        RunCoreAsync(job, trigger, caller: null, cancellationToken);

    private async Task<JobResult> RunCoreAsync(RegisteredJob job, JobTrigger trigger, CallerIdentity? caller, CancellationToken cancellationToken)
    {
        var executionId = Guid.NewGuid();
        if (_stopping)
        {
            return new JobResult(job.Id, executionId, JobStatus.Cancelled, "CANCELLED: the host is shutting down", TimeSpan.Zero, 0);
        }

        var running = new RunningJob(executionId, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token));
        if (!_running.TryAdd(job.Id, running))
        {
            running.Dispose();
            return await RefuseAsync(job, executionId, trigger, cancellationToken);
        }

        IAsyncDisposable? held = null;
        try
        {
            held = await overlapGuard.TryAcquireAsync(job.Id, running.Token);
            if (held is null)
            {
                return await RefuseAsync(job, executionId, trigger, running.Token);
            }

            using var watching = CancellationTokenSource.CreateLinkedTokenSource(running.Token);
            var watch = WatchForCancelRequestAsync(job.Id, executionId, running, watching.Token);
            try
            {
                return await RunAttemptsAsync(job, executionId, trigger, caller, running);
            }
            finally
            {
                await watching.CancelAsync();
                await watch;
            }
        }
        catch (OperationCanceledException) when (running.Token.IsCancellationRequested)
        {
            return new JobResult(job.Id, executionId, JobStatus.Cancelled, "CANCELLED: before an attempt started", TimeSpan.Zero, 0);
        }
        finally
        {
            if (running.Stray.IsCompleted)
            {
                await ReleaseAsync(job.Id, running, held);
            }
            else
            {
                running.Finished.TrySetResult();
                LogStillRunning(job.Id, executionId);
                _ = ReleaseAfterStrayAsync(job.Id, running, held);
            }
        }
    }

    /// <summary>
    /// Completes when the execution no longer occupies its job: at once for one that ended, or when the handler of a
    /// timed-out or cancelled attempt that ignored its token has finally returned.
    /// </summary>
    public Task WhenReleasedAsync(string jobId, Guid executionId) =>
        _running.TryGetValue(jobId, out var running) && running.ExecutionId == executionId ? running.Released.Task : Task.CompletedTask;

    /// <summary>
    /// Manual cancel of the job's running execution, on whichever host runs it: the request is recorded on its attempt
    /// (the running host sees it within <c>JOBS_CANCEL_POLL_SECONDS</c>) and, when it runs here, takes effect at once.
    /// Returns the execution's id, or null when the job is not running anywhere.
    /// </summary>
    public async Task<Guid?> RequestCancelAsync(string jobId, CancellationToken cancellationToken)
    {
        var requested = await log.RequestCancelAsync(jobId, cancellationToken);
        if (_running.TryGetValue(jobId, out var running)) // it runs here: no need to wait for the poll
        {
            running.Cancel();
            return running.ExecutionId;
        }

        return requested;
    }

    /// <summary>
    /// Graceful stop: refuses new work, waits up to <paramref name="grace"/> for running executions, then cancels
    /// them and waits until they have recorded <c>cancelled</c>.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        _stopping = true;
        var finished = Task.WhenAll(_running.Values.Select(running => running.Finished.Task));
        try
        {
            await finished.WaitAsync(grace, time, cancellationToken);
            return;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            LogCancellingAtShutdown(_running.Count, grace);
        }

        await _shutdown.CancelAsync();
        await finished;
    }

    public void Dispose() => _shutdown.Dispose();

    private async Task ReleaseAfterStrayAsync(string jobId, RunningJob running, IAsyncDisposable? held)
    {
        await running.Stray;
        LogStrayEnded(jobId, running.ExecutionId);
        try
        {
            await ReleaseAsync(jobId, running, held);
        }
        catch (Exception e)
        {
            // Nobody awaits this release (the host may be stopping); a lock whose connection is gone is free anyway.
            LogReleaseFailed(e, jobId, running.ExecutionId);
        }
    }

    private async Task ReleaseAsync(string jobId, RunningJob running, IAsyncDisposable? held)
    {
        try
        {
            if (held is not null)
            {
                await held.DisposeAsync();
            }
        }
        finally
        {
            _running.TryRemove(KeyValuePair.Create(jobId, running));
            running.Finished.TrySetResult();
            running.Released.TrySetResult();
            running.Dispose();
        }
    }

    private async Task<JobResult> RunAttemptsAsync(RegisteredJob job, Guid executionId, JobTrigger trigger, CallerIdentity? caller, RunningJob running)
    {
        var cancellationToken = running.Token;
        var retry = job.Definition.EffectiveRetry;
        for (var attempt = 1; ; attempt++)
        {
            var context = new JobContext(job.Id, executionId, attempt, attempt == 1 ? trigger : JobTrigger.Retry) { StartedBy = trigger, Caller = caller };
            var result = await RunAttemptAsync(job.Definition, context, running);
            if (result.Status is not (JobStatus.Failed or JobStatus.TimedOut))
            {
                return result;
            }

            if (attempt >= retry.MaxAttempts)
            {
                return retry.MaxAttempts == 1 ? result : result with { Status = JobStatus.Failed, Error = $"RETRIES_EXHAUSTED: {result.Error}" };
            }

            var delay = retry.DelayAfter(attempt, jitter);
            var now = time.GetUtcNow();
            var nextOccurrence = job.Schedule.NextOccurrenceAfter(now);
            if (now + delay >= nextOccurrence)
            {
                LogRetriesStopped(job.Id, attempt, nextOccurrence);
                return result;
            }

            LogRetrying(job.Id, attempt, result.Status.ToWire(), delay);
            try
            {
                await Task.Delay(delay, time, cancellationToken);
                await running.Stray.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return result with { Status = JobStatus.Cancelled, Error = $"CANCELLED: while waiting to retry after: {result.Error}" };
            }
        }
    }

    private async Task<JobResult> RunAttemptAsync(JobDefinition definition, JobContext context, RunningJob running)
    {
        var rowId = await log.StartAsync(context, running.Token);
        var started = time.GetTimestamp();
        var (status, error, outcome) = await InvokeAsync(definition, context, running);
        var duration = time.GetElapsedTime(started);
        await log.CompleteAsync(rowId, status, error, duration, outcome?.Data, outcome?.Metrics);
        LogAttempt(context.JobId, context.Attempt, context.Trigger.ToWire(), status.ToWire(), (long)duration.TotalMilliseconds, error);
        return new JobResult(context.JobId, context.ExecutionId, status, error, duration, context.Attempt, outcome?.Data, outcome?.Metrics);
    }

    private async Task<(JobStatus Status, string? Error, JobOutcome? Outcome)> InvokeAsync(
        JobDefinition definition, JobContext context, RunningJob running)
    {
        var cancellationToken = running.Token;
        var timeout = definition.EffectiveTimeout;
        using var timer = new CancellationTokenSource(timeout, time);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        // Task.Run: a handler that blocks before its first await must not block the runner or its timeout.
        var handler = Task.Run(() => definition.Handler(context, attempt.Token), CancellationToken.None);
        try
        {
            // WaitAsync stops waiting at the timeout even when the handler ignores its token.
            var outcome = await handler.WaitAsync(attempt.Token);
            return outcome is null
                ? (JobStatus.Failed, "NO_RESULT: the handler returned no outcome", null)
                : (outcome.Status, outcome.Error, outcome);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            running.StopWaitingFor(handler);
            return (JobStatus.Cancelled, "CANCELLED: stopped by shutdown or a manual cancel", null);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested)
        {
            running.StopWaitingFor(handler);
            return (JobStatus.TimedOut, $"TIMED_OUT: no result within {timeout.TotalMilliseconds:0} ms", null);
        }
        catch (Exception e)
        {
            // The exception's message may name hosts and addresses: it goes to the log only, the attempt records a code.
            LogHandlerFailed(e, context.JobId, context.ExecutionId, context.Attempt);
            return (JobStatus.Failed, HandlerError(e, context.ExecutionId), null);
        }
    }

    private static string HandlerError(Exception e, Guid executionId) =>
        DependencyProbe.FailedDependencyOf(e) is { } dependency
            ? $"DEPENDENCY_UNAVAILABLE: {DependencyProbe.NameOf(dependency)} became unavailable during the job; see the logs for execution {executionId}"
            : $"HANDLER_FAILED: the job failed with an unexpected error; see the logs for execution {executionId}";

    /// <summary>Polls for a manual cancel requested on any host until the execution ends.</summary>
    private async Task WatchForCancelRequestAsync(string jobId, Guid executionId, RunningJob running, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.CancelPollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    if (await log.IsCancelRequestedAsync(executionId, cancellationToken))
                    {
                        LogCancelRequested(jobId, executionId);
                        running.Cancel();
                        return;
                    }
                }
                catch (NpgsqlException e)
                {
                    // The job itself meets an unreachable database on its own; the watch just tries again.
                    LogCancelPollFailed(jobId, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The execution ended (or was cancelled otherwise).
        }
    }

    private async Task<JobResult> RefuseAsync(RegisteredJob job, Guid executionId, JobTrigger trigger, CancellationToken cancellationToken)
    {
        var context = new JobContext(job.Id, executionId, 1, trigger);
        var rowId = await log.StartAsync(context, cancellationToken);
        await log.CompleteAsync(rowId, JobStatus.Skipped, JobWire.AlreadyRunning, TimeSpan.Zero, null, null);
        LogAlreadyRunning(job.Id, trigger.ToWire());
        return new JobResult(job.Id, executionId, JobStatus.Skipped, JobWire.AlreadyRunning, TimeSpan.Zero, 1);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} attempt {Attempt} ({Trigger}): {Status} in {DurationMs} ms {Error}")]
    private partial void LogAttempt(string jobId, int attempt, string trigger, string status, long durationMs, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} execution {ExecutionId} attempt {Attempt}: the handler failed")]
    private partial void LogHandlerFailed(Exception exception, string jobId, Guid executionId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt} {Status}; retrying in {Delay}")]
    private partial void LogRetrying(string jobId, int attempt, string status, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt} failed; no retry because the next occurrence ({NextOccurrence:O}) comes first")]
    private partial void LogRetriesStopped(string jobId, int attempt, DateTimeOffset nextOccurrence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ({Trigger}) not started: it is already running")]
    private partial void LogAlreadyRunning(string jobId, string trigger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} job(s) still running after the shutdown grace period of {Grace}; cancelling them")]
    private partial void LogCancellingAtShutdown(int count, TimeSpan grace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} execution {ExecutionId}: manual cancel requested; cancelling")]
    private partial void LogCancelRequested(string jobId, Guid executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: could not look for a cancel request ({Error}); trying again")]
    private partial void LogCancelPollFailed(string jobId, string error);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Job {JobId} execution {ExecutionId}: recorded, but its handler has not returned yet; the job stays occupied until it does")]
    private partial void LogStillRunning(string jobId, Guid executionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} execution {ExecutionId}: its handler returned; the job is free")]
    private partial void LogStrayEnded(string jobId, Guid executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} execution {ExecutionId}: releasing the job after its handler returned failed")]
    private partial void LogReleaseFailed(Exception exception, string jobId, Guid executionId);

    private sealed class RunningJob(Guid executionId, CancellationTokenSource cancellation) : IDisposable
    {
        public Guid ExecutionId { get; } = executionId;

        public CancellationToken Token => cancellation.Token;

        /// <summary>Set when the execution's result is recorded.</summary>
        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set when the job is free again: the result is recorded and no handler of it still runs.</summary>
        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The last handler the runner stopped waiting for; completes (never faults) when it returns.</summary>
        public Task Stray { get; private set; } = Task.CompletedTask;

        /// <summary>Keeps track of a handler left running at a timeout or cancel, observing any exception it ends with.</summary>
        public void StopWaitingFor(Task handler) =>
            Stray = handler.ContinueWith(static task => _ = task.Exception, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

        public void Cancel()
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Released in the meantime: nothing left to cancel.
            }
        }

        public void Dispose() => cancellation.Dispose();
    }
}
