using System.Diagnostics;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Bench;

/// <summary>Scenario 4: acquire and release one org lock over and over; latencies in milliseconds, sorted.</summary>
internal static class LockScenario
{
    public static async Task<(List<double> Acquire, List<double> Release)> RunAsync(IServiceProvider services, IsoWeek week, int cycles, CancellationToken cancellationToken)
    {
        var locks = services.GetRequiredService<WeeklyLockManager>();
        var key = LockKey.ForOrg(week, Guid.NewGuid());
        var acquire = new List<double>(cycles);
        var release = new List<double>(cycles);
        for (var i = 0; i < cycles; i++)
        {
            var now = DateTimeOffset.UtcNow;
            var holder = new LockHolder(Guid.NewGuid(), "cli", "FULL", "all", now, now.AddMinutes(10), "bench");
            var started = Stopwatch.GetTimestamp();
            if (!(await locks.TryAcquireAsync(key, holder, cancellationToken)).Acquired)
            {
                throw new InvalidOperationException($"Cycle {i}: the lock was not free.");
            }

            acquire.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            started = Stopwatch.GetTimestamp();
            await locks.ReleaseAsync(key, holder.RunId, cancellationToken);
            release.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        acquire.Sort();
        release.Sort();
        return (acquire, release);
    }
}
