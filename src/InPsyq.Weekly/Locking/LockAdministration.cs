using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Locking;

/// <summary>One lock blob as an operator sees it; leased with a null holder: its holder is not yet known.</summary>
public sealed record LockEntry(string Name, bool Leased, LockHolder? Holder, bool PastExpiry);

/// <summary>What <see cref="LockAdministration.ReleaseAsync"/> did.</summary>
public enum LockReleaseOutcome
{
    /// <summary>The lease was broken: the lock is free, and its holder (if alive) loses it at its next renewal.</summary>
    Released,

    /// <summary>The lock is not leased: nothing to release.</summary>
    AlreadyFree,

    /// <summary>No lock blob of that name.</summary>
    NotFound,

    /// <summary>The lock is held by another run than the one named.</summary>
    RunMismatch,

    /// <summary>The holder is within its TTL; only <c>--force</c> releases it.</summary>
    NotExpired,
}

/// <summary>
/// The operator's view of the weekly locks (<c>locks list</c>, <c>locks release</c>): list the lock blobs with their
/// holders, and break a lease, refused unless the holder is past its hard TTL or the operator forces it. A broken
/// lease makes a live holder lose its lock at its next renewal; its writes are fenced, so it cannot write after that.
/// </summary>
public sealed class LockAdministration(BlobStore blobs, WeeklyLockManager locks, TimeProvider time)
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

    public async Task<LockReleaseOutcome> ReleaseAsync(LockKey key, Guid runId, bool force, CancellationToken cancellationToken)
    {
        var blob = blobs.Locks.GetBlobClient(key.BlobName);
        BlobProperties properties;
        try
        {
            properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return LockReleaseOutcome.NotFound;
        }

        var holder = LockHolder.FromMetadata(properties.Metadata);
        if (holder?.RunId != runId)
        {
            return LockReleaseOutcome.RunMismatch;
        }

        if (properties.LeaseState != LeaseState.Leased)
        {
            return LockReleaseOutcome.AlreadyFree;
        }

        if (!force && holder.ExpiresAt > time.GetUtcNow())
        {
            return LockReleaseOutcome.NotExpired;
        }

        await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero, cancellationToken: cancellationToken);
        return LockReleaseOutcome.Released;
    }
}
