using InPsyq.Weekly.Locking;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>A lock a test holds the way a run does (the run id as lease id), released when disposed.</summary>
public sealed class HeldLock(WeeklyLockManager locks, LockKey key, LockHolder holder) : IAsyncDisposable
{
    public LockHolder Holder { get; } = holder;

    public ValueTask DisposeAsync() => new(locks.ReleaseAsync(key, Holder.RunId, CancellationToken.None));
}

public static class HeldLocks
{
    public static async Task<HeldLock> HoldAsync(this WeeklyLockManager locks, LockKey key, LockHolder holder)
    {
        Assert.True((await locks.TryAcquireAsync(key, holder, CancellationToken.None)).Acquired, $"{key.BlobName} is held by another run.");
        return new HeldLock(locks, key, holder);
    }
}
