using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Alerts;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using InPsyq.Weekly.Weeks;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.ScheduledJobs;

public sealed record ReaperFindings(
    IReadOnlyList<AbandonedRun> AbandonedRuns, IReadOnlyList<LostExecution> LostExecutions, IReadOnlyList<string> DeletedLockBlobs, int DeletedPoisonMessages);

/// <summary>
/// <c>run-reaper</c>: ends every run whose heartbeat is older than <c>WEEKLY_RUN_STALL_SECONDS</c> (in this order: its
/// fences tombstoned so no late write lands, its open items <c>not_started</c>, its leases broken, its row
/// <c>abandoned</c>, a <c>run_abandoned</c> alert with reason <c>stalled</c>); marks <c>abandoned</c> every
/// <c>weekly_runs</c> row still <c>running</c> that started more than lease + <c>REAPER_GRACE_SECONDS</c> ago and
/// has no leased lock blob whose metadata names its run (it died before it took one); marks
/// <c>failed</c> with <c>HOST_LOST</c> every job attempt still running past its timeout + grace (its runner would
/// have recorded a timeout by then, so its host is gone); deletes lock blobs that are unleased and past their
/// <c>expires_at</c>; deletes the messages of <c>{WEEKLY_WORK_QUEUE}-poison</c> older than 7 days whose run is final
/// (or unknown); raises a <c>run_abandoned</c> alert per abandoned run and retries the alert outbox.
/// </summary>
public sealed partial class RunReaperJob(
    WeeklyRunStore runs,
    WorkItemStore workItems,
    LockFences fences,
    JobExecutionLog executions,
    BlobStore blobs,
    WorkQueueClient queue,
    JobRegistry registry,
    AlertService alerts,
    IOptions<LockOptions> options,
    IOptions<WorkOptions> workOptions,
    TimeProvider time,
    ILogger<RunReaperJob> logger) : IJob
{
    public const string Id = "run-reaper";

    /// <summary>Received poison messages stay out of sight this long, so one sweep sees each once.</summary>
    private static readonly TimeSpan s_poisonSweepVisibility = TimeSpan.FromSeconds(60);

    /// <summary>At most this many batches of poison messages per reaper run; the next run goes on.</summary>
    private const int MaxPoisonBatches = 20;

    public static JobDefinition Define(IServiceProvider services, JobHandler handler) =>
        new(Id, "Run reaper", services.GetRequiredService<IOptions<JobsOptions>>().Value.RunReaperSchedule, handler)
        {
            Timeout = TimeSpan.FromMinutes(2),
            Retry = new RetryPolicy(3, TimeSpan.FromSeconds(5), 2, TimeSpan.FromSeconds(30)),
            HasAzureTimer = true,
        };

    public async Task<JobOutcome?> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var locks = new List<BlobItem>();
        await foreach (var blob in blobs.Locks.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }, cancellationToken))
        {
            locks.Add(blob);
        }

        var stalled = await EndStalledRunsAsync(now, locks, cancellationToken);
        var findings = new ReaperFindings(
            [.. stalled, .. await MarkAbandonedRunsAsync(now, locks, cancellationToken)],
            await MarkLostExecutionsAsync(now, cancellationToken),
            await DeleteExpiredLocksAsync(now, locks, cancellationToken),
            await DeleteOldPoisonAsync(now, cancellationToken));
        foreach (var run in findings.AbandonedRuns)
        {
            // The run became final here, not where it ran: counted once, like every finished run.
            WeeklyTelemetry.RecordRun(RunStatus.Abandoned.ToWire(), run.Trigger, run.Mode, run.DurationMs);
            var message = stalled.Contains(run)
                ? $"The run stalled (reason: stalled): no instance said it was alive for {workOptions.Value.StallSeconds:0} s. Its unfinished teams were not started; re-run the week."
                : "The run was still marked running after its lock lapsed: the host that ran it is gone. Re-run the week.";
            await alerts.RaiseAsync(AlertKind.RunAbandoned, run.Scope, IsoWeek.FromMonday(run.WeekStart), run.RunId, message, cancellationToken);
        }

        // The outbox's later attempts: alerts whose inline attempt failed are retried here, with backoff.
        var delivery = await alerts.DeliverPendingAsync(cancellationToken);
        return JobOutcome.Succeeded(findings, new Dictionary<string, double>
        {
            ["abandoned_runs"] = findings.AbandonedRuns.Count,
            ["lost_executions"] = findings.LostExecutions.Count,
            ["deleted_lock_blobs"] = findings.DeletedLockBlobs.Count,
            ["lock_blobs"] = locks.Count,
            ["deleted_poison_messages"] = findings.DeletedPoisonMessages,
            ["alerts_sent"] = delivery.Sent,
            ["alerts_retrying"] = delivery.Retrying,
            ["alerts_failed"] = delivery.Failed,
        });
    }

    private async Task<List<AbandonedRun>> EndStalledRunsAsync(DateTimeOffset now, List<BlobItem> locks, CancellationToken cancellationToken)
    {
        var ended = new List<AbandonedRun>();
        foreach (var runId in await runs.ListStalledAsync(workOptions.Value.Stall, cancellationToken))
        {
            await fences.TombstoneAsync(runId, cancellationToken);
            await workItems.EndStalledAsync(runId, cancellationToken);
            foreach (var blob in locks.Where(blob => blob.Properties.LeaseState == LeaseState.Leased && LockHolder.FromMetadata(blob.Metadata)?.RunId == runId))
            {
                await BreakQuietlyAsync(blob.Name, cancellationToken);
            }

            ended.AddRange(await runs.MarkAbandonedAsync(
                [runId], $"ABANDONED: stalled, no heartbeat for {workOptions.Value.StallSeconds:0} s; no instance works it any more", now, cancellationToken));
            LogStalled(runId);
        }

        return ended;
    }

    private async Task BreakQuietlyAsync(string blobName, CancellationToken cancellationToken)
    {
        try
        {
            await blobs.Locks.GetBlobClient(blobName).GetBlobLeaseClient().BreakAsync(TimeSpan.Zero, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409)
        {
            // Gone, or free already.
        }
    }

    private async Task<List<AbandonedRun>> MarkAbandonedRunsAsync(DateTimeOffset now, List<BlobItem> locks, CancellationToken cancellationToken)
    {
        var alive = locks
            .Where(blob => blob.Properties.LeaseState == LeaseState.Leased)
            .Select(blob => LockHolder.FromMetadata(blob.Metadata)?.RunId)
            .OfType<Guid>()
            .ToHashSet();
        var stale = await runs.ListRunningStartedBeforeAsync(
            now - options.Value.Lease - TimeSpan.FromSeconds(options.Value.ReaperGraceSeconds), cancellationToken);
        var abandoned = await runs.MarkAbandonedAsync(
            stale.Where(runId => !alive.Contains(runId)), "ABANDONED: still running after its lock lapsed; the host that ran it is gone", now, cancellationToken);
        foreach (var run in abandoned)
        {
            LogAbandoned(run.RunId);
        }

        return abandoned;
    }

    private async Task<List<LostExecution>> MarkLostExecutionsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lost = await executions.MarkHostLostAsync(registry.Jobs, TimeSpan.FromSeconds(options.Value.ReaperGraceSeconds), now, cancellationToken);
        foreach (var execution in lost)
        {
            LogHostLost(execution.JobId, execution.ExecutionId, execution.Attempt);
        }

        return lost;
    }

    private async Task<List<string>> DeleteExpiredLocksAsync(DateTimeOffset now, List<BlobItem> locks, CancellationToken cancellationToken)
    {
        var deleted = new List<string>();
        foreach (var blob in locks)
        {
            if (blob.Properties.LeaseState is LeaseState.Leased or LeaseState.Breaking
                || LockHolder.FromMetadata(blob.Metadata) is not { } holder || holder.ExpiresAt >= now)
            {
                continue;
            }

            try
            {
                // If-Match: a holder that took the lock since the listing rewrote the metadata (and a leased blob
                // cannot be deleted without its lease id anyway).
                await blobs.Locks.GetBlobClient(blob.Name).DeleteAsync(
                    DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = blob.Properties.ETag }, cancellationToken);
                deleted.Add(blob.Name);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                LogLockKept(blob.Name, e.ErrorCode);
            }
        }

        return deleted;
    }

    /// <summary>
    /// Deletes the poison messages older than 7 days whose run is final or unknown (a message that names no run
    /// included); those of runs still running are kept, and every kept message is made visible again at the end.
    /// </summary>
    private async Task<int> DeleteOldPoisonAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var deleted = 0;
        var kept = new List<ReceivedMessage>();
        for (var batch = 0; batch < MaxPoisonBatches; batch++)
        {
            var messages = await queue.ReceivePoisonAsync(s_poisonSweepVisibility, cancellationToken);
            if (messages.Count == 0)
            {
                break;
            }

            var old = messages
                .Where(received => received.Message.InsertedOn < now - WorkQueueClient.PoisonRetention)
                .Select(received => (Message: received, RunId: WorkMessage.FromJson(received.Message.Body.ToString())?.RunId))
                .ToList();
            var running = await runs.WhichRunningAsync(old.Select(entry => entry.RunId).OfType<Guid>().ToHashSet(), cancellationToken);
            var deletable = old.Where(entry => entry.RunId is not { } runId || !running.Contains(runId)).Select(entry => entry.Message).ToHashSet();
            foreach (var received in deletable)
            {
                await received.DeleteAsync(received.Message.PopReceipt, cancellationToken);
            }

            deleted += deletable.Count;
            kept.AddRange(messages.Where(message => !deletable.Contains(message)));
        }

        foreach (var received in kept)
        {
            await received.RenewAsync(received.Message.PopReceipt, TimeSpan.Zero, cancellationToken);
        }

        if (deleted > 0)
        {
            LogPoisonDeleted(deleted);
        }

        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} stalled: fences tombstoned, open items not started, leases broken, marked abandoned")]
    private partial void LogStalled(Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} marked abandoned: still running with no live lock")]
    private partial void LogAbandoned(Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} execution {ExecutionId} attempt {Attempt} marked failed: HOST_LOST")]
    private partial void LogHostLost(string jobId, Guid executionId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} poison message(s) older than 7 days whose run is final or unknown")]
    private partial void LogPoisonDeleted(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lock blob {LockName} kept: it changed since it was listed ({ErrorCode})")]
    private partial void LogLockKept(string lockName, string? errorCode);
}
