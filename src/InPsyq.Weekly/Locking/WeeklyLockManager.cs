using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Locking;

/// <summary>
/// The outcome of trying to take a lock: either the lock, or who holds it; a refused attempt whose
/// <see cref="Holder"/> is null met a holder that is not yet known (see <see cref="LockState"/>).
/// </summary>
public sealed record LockAttempt(bool Acquired, LockHolder? Holder)
{
    public static LockAttempt Taken { get; } = new(true, null);
}

/// <summary>
/// Whether a lock is held, and by whom. Held with a null <see cref="Holder"/> means the holder is not yet known: a
/// run took the lease a moment ago and has not written its name yet (or died right after taking it).
/// </summary>
public sealed record LockState(bool Held, LockHolder? Holder)
{
    public static LockState Free { get; } = new(false, null);
}

/// <summary>
/// The <c>weekly_locks</c> of the seeds, on blob leases: a run holds each of its locks as an infinite lease whose
/// lease id is its run id, so any instance can release it when the run ends and the reaper can break it when the
/// run stalls (its liveness is its heartbeat, not the lease). The holder is written into the blob's metadata.
/// </summary>
public sealed partial class WeeklyLockManager(
    BlobStore blobs,
    TimeProvider time,
    ILogger<WeeklyLockManager> logger)
{
    /// <summary>How long a reader waits for a new holder to write its name next to its lease.</summary>
    private static readonly TimeSpan s_holderWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_holderPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Takes the lock for a run: an infinite lease with the run id as lease id, so any instance can release it when
    /// the run ends, and the reaper breaks it when the run stalls; nobody renews it. Refused, the attempt names the
    /// holder (null when it is not yet known).
    /// </summary>
    public async Task<LockAttempt> TryAcquireAsync(LockKey key, LockHolder holder, CancellationToken cancellationToken)
    {
        var (lease, current) = await TryTakeAsync(key, holder, BlobLeaseClient.InfiniteLeaseDuration, cancellationToken);
        return lease is null ? new LockAttempt(false, current) : LockAttempt.Taken;
    }

    private async Task<(BlobLeaseClient? Lease, LockHolder? Current)> TryTakeAsync(
        LockKey key, LockHolder holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var activity = WeeklyTelemetry.Source.StartActivity("weekly.lock.acquire");
        activity?.SetTag("run_id", holder.RunId).SetTag("lock", key.BlobName);
        var blob = blobs.Locks.GetBlobClient(key.BlobName);
        var lease = blob.GetBlobLeaseClient(LeaseIdOf(holder.RunId));
        var acquired = await TryLeaseAsync(blob, lease, holder, duration, cancellationToken);
        var current = LockState.Free;
        if (!acquired)
        {
            current = await InspectAsync(key.BlobName, cancellationToken);
            // Free again when read: its holder released it in between, so one more attempt.
            acquired = !current.Held && await TryLeaseAsync(blob, lease, holder, duration, cancellationToken);
        }

        activity?.SetTag("acquired", acquired);
        WeeklyTelemetry.RecordLockAttempt(acquired);
        if (!acquired)
        {
            if (current.Holder is { } known)
            {
                LogLockBusy(key.BlobName, known.RunId);
            }

            return (null, current.Holder);
        }

        try
        {
            await blob.SetMetadataAsync(holder.ToMetadata(), new BlobRequestConditions { LeaseId = lease.LeaseId }, cancellationToken);
        }
        catch
        {
            await ReleaseQuietlyAsync(lease);
            throw;
        }

        LogLockAcquired(key.BlobName, holder.RunId, holder.ExpiresAt);
        return (lease, null);
    }

    public Task<LockState> InspectAsync(LockKey key, CancellationToken cancellationToken) => InspectAsync(key.BlobName, cancellationToken);

    internal async Task<LockState> InspectAsync(string blobName, CancellationToken cancellationToken)
    {
        var blob = blobs.Locks.GetBlobClient(blobName);
        var deadline = time.GetUtcNow() + s_holderWait;
        while (true)
        {
            if (await TryReadConfirmedAsync(blob, cancellationToken) is { } state)
            {
                return state;
            }

            if (time.GetUtcNow() >= deadline)
            {
                LogHolderUnknown(blobName);
                return new LockState(true, null);
            }

            await Task.Delay(s_holderPoll, time, cancellationToken);
        }
    }

    /// <summary>The lease id of a run's locks: its run id.</summary>
    internal static string LeaseIdOf(Guid runId) => runId.ToString("D");

    /// <summary>
    /// Releases the lease <paramref name="runId"/> holds on the lock, from any instance (the lease id is the run id);
    /// nothing when the lock is free or held by another run.
    /// </summary>
    public async Task ReleaseAsync(LockKey key, Guid runId, CancellationToken cancellationToken)
    {
        using var activity = WeeklyTelemetry.Source.StartActivity("weekly.lock.release");
        activity?.SetTag("run_id", runId).SetTag("lock", key.BlobName);
        var lease = blobs.Locks.GetBlobClient(key.BlobName).GetBlobLeaseClient(LeaseIdOf(runId));
        try
        {
            await lease.ReleaseAsync(cancellationToken: cancellationToken);
            LogReleased(key.BlobName, runId);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            // Free, or not this run's.
        }
    }

    /// <summary>The lock's state, or null while it is leased but its metadata does not (yet) name the lease's run.</summary>
    private static async Task<LockState?> TryReadConfirmedAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        BlobProperties properties;
        try
        {
            properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return LockState.Free;
        }

        if (properties.LeaseState != LeaseState.Leased)
        {
            return LockState.Free;
        }

        if (LockHolder.FromMetadata(properties.Metadata) is not { } named)
        {
            return null;
        }

        try
        {
            // Answered only while the lease is active under the named run's lease id.
            var confirmed = await blob.GetPropertiesAsync(new BlobRequestConditions { LeaseId = LeaseIdOf(named.RunId) }, cancellationToken);
            return LockHolder.FromMetadata(confirmed.Value.Metadata) is { } holder && holder.RunId == named.RunId ? new LockState(true, holder) : null;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // Another lease than the named run's, or none any more: read again.
            return null;
        }
    }

    /// <summary>Create the blob if it is absent, then lease it; retry once when a concurrent delete races us.</summary>
    private static async Task<bool> TryLeaseAsync(BlobClient blob, BlobLeaseClient lease, LockHolder holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await lease.AcquireAsync(duration, cancellationToken: cancellationToken);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                return false;
            }
            catch (RequestFailedException e) when (e.Status == 404 && attempt == 0)
            {
                await CreateIfAbsentAsync(blob, holder, cancellationToken);
            }
        }
    }

    /// <summary>Created with the creator's metadata: when the creator also wins the lease, its name is there at once.</summary>
    private static async Task CreateIfAbsentAsync(BlobClient blob, LockHolder holder, CancellationToken cancellationToken)
    {
        try
        {
            await blob.UploadAsync(
                BinaryData.Empty,
                new BlobUploadOptions { Metadata = holder.ToMetadata(), Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Created by a concurrent caller in the meantime: exactly what we wanted.
        }
    }

    internal static async Task ReleaseQuietlyAsync(BlobLeaseClient lease)
    {
        try
        {
            await lease.ReleaseAsync();
        }
        catch (RequestFailedException)
        {
            // Lost or lapsed already: nothing left to release.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Acquired lock {LockName} for run {RunId}, expires at {ExpiresAt:O}")]
    private partial void LogLockAcquired(string lockName, Guid runId, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lock {LockName} is held by run {HolderRunId}")]
    private partial void LogLockBusy(string lockName, Guid holderRunId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lock {LockName} is leased, but its holder has not written its name yet")]
    private partial void LogHolderUnknown(string lockName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Released lock {LockName} of run {RunId}")]
    private partial void LogReleased(string lockName, Guid runId);
}
