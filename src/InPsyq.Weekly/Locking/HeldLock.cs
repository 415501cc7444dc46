using System.Diagnostics;
using Azure;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Locking;

/// <summary>
/// A lock this process holds. It renews its lease in the background until released or until the hard TTL; a
/// failed renewal means the lock is lost, which cancels <see cref="Lost"/> at once so the holder stops writing.
/// </summary>
public sealed partial class HeldLock : IAsyncDisposable
{
    private readonly BlobLeaseClient _lease;
    private readonly LockOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stopRenewing = new();
    private readonly Task _renewal;
    private int _released;

    internal HeldLock(LockKey key, LockHolder holder, BlobLeaseClient lease, LockOptions options, TimeProvider time, ILogger logger)
    {
        Key = key;
        Holder = holder;
        _lease = lease;
        _options = options;
        _time = time;
        _logger = logger;
        _renewal = Task.Run(RenewUntilStoppedAsync);
    }

    public LockKey Key { get; }

    public LockHolder Holder { get; }

    /// <summary>Cancelled when a renewal fails: from then on the holder must not write anything.</summary>
    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    public async ValueTask ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1)
        {
            return;
        }

        using var activity = StartActivity("weekly.lock.release");
        await _stopRenewing.CancelAsync();
        await _renewal;
        if (!IsLost)
        {
            await WeeklyLockManager.ReleaseQuietlyAsync(_lease);
            LogReleased(Key.BlobName, Holder.RunId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        _lost.Dispose();
        _stopRenewing.Dispose();
    }

    private async Task RenewUntilStoppedAsync()
    {
        var stop = _stopRenewing.Token;
        try
        {
            while (!stop.IsCancellationRequested && _time.GetUtcNow() < Holder.ExpiresAt)
            {
                await Task.Delay(_options.RenewInterval, _time, stop);
                using var activity = StartActivity("weekly.lock.renew");
                try
                {
                    await _lease.RenewAsync(cancellationToken: stop);
                }
                catch (Exception e) when (e is RequestFailedException or HttpRequestException or TimeoutException
                                          || (e is OperationCanceledException && !stop.IsCancellationRequested))
                {
                    LogLost(Key.BlobName, Holder.RunId, (e as RequestFailedException)?.ErrorCode ?? e.GetType().Name);
                    activity?.SetStatus(ActivityStatusCode.Error, "lock_lost");
                    WeeklyTelemetry.RecordLockLost();
                    await _lost.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Released: renewal ends.
        }
    }

    private Activity? StartActivity(string name) =>
        WeeklyTelemetry.Source.StartActivity(name)?.SetTag("run_id", Holder.RunId).SetTag("lock", Key.BlobName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Released lock {LockName} of run {RunId}")]
    private partial void LogReleased(string lockName, Guid runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lost lock {LockName} of run {RunId}: renewal failed ({Reason}); stopping all writes")]
    private partial void LogLost(string lockName, Guid runId, string reason);
}
