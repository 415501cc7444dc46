using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Locking;

/// <summary>One lock blob as an operator sees it; leased with a null holder: its holder is not yet known.</summary>
public sealed record LockEntry(string Name, bool Leased, LockHolder? Holder, bool PastExpiry);

/// <summary>A lock as read for a release: its holder as its metadata names it, whether it is leased, and its ETag.</summary>
public sealed record LockReading(LockKey Key, bool Leased, LockHolder? Holder, ETag ETag);

/// <summary>What <see cref="LockAdministration.ReleaseAsync(LockReading, Guid, bool, CancellationToken)"/> did.</summary>
public enum LockReleaseOutcome
{
    /// <summary>The lease was released: the lock is free, and its holder (if alive) loses it at its next renewal.</summary>
    Released,

    /// <summary>The lock is not leased: nothing to release.</summary>
    AlreadyFree,

    /// <summary>No lock blob of that name.</summary>
    NotFound,

    /// <summary>The lock is held by another run than the one named.</summary>
    RunMismatch,

    /// <summary>The holder is within its TTL; only <c>--force</c> releases it.</summary>
    NotExpired,

    /// <summary>The lock changed after it was read (another holder took it, or its metadata changed): nothing was released.</summary>
    ChangedHands,
}

/// <summary>A release and, when it released a lease, who released it, when, and whether the holder was within its TTL.</summary>
public sealed record LockRelease(LockReleaseOutcome Outcome, LockReleaseRecord? Record = null);

/// <summary>The record of a released lease: logged, and shown to the operator.</summary>
public sealed record LockReleaseRecord(string LockName, Guid HolderRunId, bool Forced, string ReleasedBy, DateTimeOffset ReleasedAt);

/// <summary>
/// The operator's view of the weekly locks (<c>locks list</c>, <c>locks release</c>): list the lock blobs with their
/// holders, and release a lease, refused unless the holder is past its hard TTL or the operator forces it. A released
/// lease makes a live holder lose its lock at its next renewal; its writes are fenced, so it cannot write after that.
/// A release acts only on the lock as it was read: under the read holder's lease id (its run id) and the ETag read
/// with its metadata, so a lock that changed hands in between is left alone.
/// </summary>
public sealed partial class LockAdministration(
    BlobStore blobs, WeeklyLockManager locks, HostIdentity host, TimeProvider time, ILogger<LockAdministration> logger)
{
    public async Task<IReadOnlyList<LockEntry>> ListAsync(IsoWeek? week, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entries = new List<LockEntry>();
        var prefix = week is { } filter ? $"{filter}/" : null;
        await foreach (var blob in blobs.Locks.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = prefix }, cancellationToken))
        {
            // A leased lock shows its confirmed holder; a free one the last holder its metadata names.
            var state = blob.Properties.LeaseState == LeaseState.Leased ? await locks.InspectAsync(blob.Name, cancellationToken) : LockState.Free;
            var holder = state.Held ? state.Holder : LockHolder.FromMetadata(blob.Metadata);
            entries.Add(new LockEntry(blob.Name, state.Held, holder, holder is not null && holder.ExpiresAt <= now));
        }

        return entries;
    }

    /// <summary>Reads the lock, then releases it as read.</summary>
    public async Task<LockRelease> ReleaseAsync(LockKey key, Guid runId, bool force, CancellationToken cancellationToken) =>
        await ReadAsync(key, cancellationToken) is { } reading
            ? await ReleaseAsync(reading, runId, force, cancellationToken)
            : new LockRelease(LockReleaseOutcome.NotFound);

    /// <summary>The lock as it is now, or null when there is no lock blob of that name.</summary>
    public async Task<LockReading?> ReadAsync(LockKey key, CancellationToken cancellationToken)
    {
        try
        {
            BlobProperties properties = await blobs.Locks.GetBlobClient(key.BlobName).GetPropertiesAsync(cancellationToken: cancellationToken);
            return new LockReading(key, properties.LeaseState == LeaseState.Leased, LockHolder.FromMetadata(properties.Metadata), properties.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Releases the lease of the lock as it was read, if it is still that lease and that metadata.</summary>
    public async Task<LockRelease> ReleaseAsync(LockReading reading, Guid runId, bool force, CancellationToken cancellationToken)
    {
        if (reading.Holder?.RunId != runId)
        {
            return new LockRelease(LockReleaseOutcome.RunMismatch);
        }

        if (!reading.Leased)
        {
            return new LockRelease(LockReleaseOutcome.AlreadyFree);
        }

        var withinTtl = reading.Holder.ExpiresAt > time.GetUtcNow();
        if (withinTtl && !force)
        {
            return new LockRelease(LockReleaseOutcome.NotExpired);
        }

        var lease = blobs.Locks.GetBlobClient(reading.Key.BlobName).GetBlobLeaseClient(WeeklyLockManager.LeaseIdOf(runId));
        try
        {
            await lease.ReleaseAsync(new RequestConditions { IfMatch = reading.ETag }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Not the lease or not the metadata that was read any more: freed since, or someone else's now.
            if (await ReadAsync(reading.Key, cancellationToken) is not { Leased: true })
            {
                return new LockRelease(LockReleaseOutcome.AlreadyFree);
            }

            LogChangedHands(reading.Key.BlobName, runId, e.ErrorCode);
            return new LockRelease(LockReleaseOutcome.ChangedHands);
        }

        var record = new LockReleaseRecord(reading.Key.BlobName, runId, withinTtl, $"{Environment.UserName}@{host.Name}", time.GetUtcNow());
        LogReleased(record.Forced ? LogLevel.Warning : LogLevel.Information,
            record.LockName, reading.Key.Week.ToString(), record.HolderRunId, record.Forced, record.ReleasedBy, record.ReleasedAt);
        return new LockRelease(LockReleaseOutcome.Released, record);
    }

    [LoggerMessage(Message = "Lock {LockName} of week {WeekStart} released from run {HolderRunId} (forced within its TTL: {Forced}) by {ReleasedBy} at {ReleasedAt:O}")]
    private partial void LogReleased(LogLevel level, string lockName, string weekStart, Guid holderRunId, bool forced, string releasedBy, DateTimeOffset releasedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lock {LockName} not released: it changed hands after it was read for run {HolderRunId} ({ErrorCode})")]
    private partial void LogChangedHands(string lockName, Guid holderRunId, string? errorCode);
}
