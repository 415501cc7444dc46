using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Locking;

/// <summary>The outcome of trying to take a lock: either the lock, or who holds it.</summary>
public sealed record LockAttempt(HeldLock? Lock, LockHolder? Holder)
{
    public bool Acquired => Lock is not null;
}

/// <summary>
/// The <c>weekly_locks</c> of the seeds, on blob leases. A lease lives 15-60 s, so a lock that must last a run is a
/// short lease renewed by its holder, bounded by a hard TTL that is written into the blob and never extended.
/// A crashed holder stops renewing and the lock frees itself within one lease period.
/// </summary>
public sealed partial class WeeklyLockManager(
    BlobStore blobs,
    IOptions<LockOptions> options,
    TimeProvider time,
    ILogger<WeeklyLockManager> logger)
{
    private readonly LockOptions _options = options.Value;

    public async Task<LockAttempt> TryAcquireAsync(LockKey key, LockHolder holder, CancellationToken cancellationToken)
    {
        using var activity = WeeklyTelemetry.Source.StartActivity("weekly.lock.acquire");
        activity?.SetTag("run_id", holder.RunId).SetTag("lock", key.BlobName);
        var blob = blobs.Locks.GetBlobClient(key.BlobName);
        var lease = blob.GetBlobLeaseClient(holder.RunId.ToString());
        var acquired = await TryLeaseAsync(blob, lease, cancellationToken);
        activity?.SetTag("acquired", acquired);
        WeeklyTelemetry.RecordLockAttempt(acquired);
        if (!acquired)
        {
            var current = await FindHolderAsync(key, cancellationToken);
            LogLockBusy(key.BlobName, current?.RunId);
            return new LockAttempt(null, current ?? UnknownHolder(holder));
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
        return new LockAttempt(new HeldLock(key, holder, lease, _options, time, logger), null);
    }

    /// <summary>The current holder of a lock, or null when the lock is free (never taken, released or lapsed).</summary>
    public async Task<LockHolder?> FindHolderAsync(LockKey key, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await blobs.Locks.GetBlobClient(key.BlobName).GetPropertiesAsync(cancellationToken: cancellationToken);
            return properties.Value.LeaseState == LeaseState.Leased ? LockHolder.FromMetadata(properties.Value.Metadata) : null;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Create the blob if it is absent, then lease it; retry once when a concurrent delete races us.</summary>
    private async Task<bool> TryLeaseAsync(BlobClient blob, BlobLeaseClient lease, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await lease.AcquireAsync(_options.Lease, cancellationToken: cancellationToken);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                return false;
            }
            catch (RequestFailedException e) when (e.Status == 404 && attempt == 0)
            {
                await CreateIfAbsentAsync(blob, cancellationToken);
            }
        }
    }

    private static async Task CreateIfAbsentAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            await blob.UploadAsync(
                BinaryData.Empty,
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Created by a concurrent caller in the meantime: exactly what we wanted.
        }
    }

    private LockHolder UnknownHolder(LockHolder requester) =>
        // The lease is held but its metadata is not written yet (a holder between lease and metadata).
        requester with { RunId = Guid.Empty, Trigger = "unknown", Mode = "unknown", Scope = "unknown", ExpiresAt = time.GetUtcNow() + _options.Lease };

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
    private partial void LogLockBusy(string lockName, Guid? holderRunId);
}
