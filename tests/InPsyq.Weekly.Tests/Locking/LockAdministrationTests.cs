using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Server.Cli;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Tests.Locking;

/// <summary><c>locks list</c> and <c>locks release</c> against real Azurite leases.</summary>
public sealed class LockAdministrationTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private static readonly IsoWeek s_week = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-4);

    [Fact]
    public async Task List_shows_each_lock_of_the_week_with_its_holder_and_whether_it_is_past_its_TTL()
    {
        var services = fixture.CreateServices();
        var org = Guid.NewGuid();
        var live = Holder(DateTimeOffset.UtcNow.AddMinutes(5));
        await using var held = await services.GetRequiredService<WeeklyLockManager>().HoldAsync(LockKey.ForOrg(s_week, org), live);
        await services.GetRequiredService<WeeklyLockManager>().TryAcquireAsync(LockKey.WholeWeek(s_week.AddWeeks(-1)), Holder(DateTimeOffset.UtcNow), CancellationToken.None);

        var entries = await services.GetRequiredService<LockAdministration>().ListAsync(s_week, CancellationToken.None);

        var entry = Assert.Single(entries);
        Assert.Equal((LockKey.ForOrg(s_week, org).BlobName, true, live.RunId, false), (entry.Name, entry.Leased, entry.Holder!.RunId, entry.PastExpiry));
    }

    [Fact]
    public async Task Release_is_refused_within_the_TTL_and_for_another_run_and_releases_the_lease_when_forced()
    {
        var services = fixture.CreateServices();
        var key = LockKey.ForOrg(s_week.AddWeeks(-6), Guid.NewGuid());
        var holder = Holder(DateTimeOffset.UtcNow.AddMinutes(5));
        var locks = services.GetRequiredService<WeeklyLockManager>();
        var admin = services.GetRequiredService<LockAdministration>();
        await using var held = await locks.HoldAsync(key, holder);

        Assert.Equal(LockReleaseOutcome.RunMismatch, (await admin.ReleaseAsync(key, Guid.NewGuid(), force: true, CancellationToken.None)).Outcome);
        Assert.Equal(LockReleaseOutcome.NotExpired, (await admin.ReleaseAsync(key, holder.RunId, force: false, CancellationToken.None)).Outcome);
        Assert.Equal(holder.RunId, (await locks.InspectAsync(key, CancellationToken.None)).Holder?.RunId);

        Assert.Equal(LockReleaseOutcome.Released, (await admin.ReleaseAsync(key, holder.RunId, force: true, CancellationToken.None)).Outcome);
        Assert.Equal(LockState.Free, await locks.InspectAsync(key, CancellationToken.None));
        Assert.Equal(LockReleaseOutcome.NotFound, (await admin.ReleaseAsync(LockKey.ForOrg(s_week, Guid.NewGuid()), holder.RunId, force: true, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task A_holder_past_its_TTL_is_released_without_force()
    {
        var services = fixture.CreateServices();
        var key = LockKey.WholeWeek(s_week.AddWeeks(-2));
        var holder = Holder(DateTimeOffset.UtcNow.AddSeconds(-1));
        var admin = services.GetRequiredService<LockAdministration>();
        await using var held = await services.GetRequiredService<WeeklyLockManager>().HoldAsync(key, holder);

        Assert.True((await admin.ListAsync(s_week.AddWeeks(-2), CancellationToken.None)).Single().PastExpiry);
        var release = await admin.ReleaseAsync(key, holder.RunId, force: false, CancellationToken.None);
        Assert.Equal((LockReleaseOutcome.Released, false), (release.Outcome, release.Record!.Forced));
        Assert.Equal(LockReleaseOutcome.AlreadyFree, (await admin.ReleaseAsync(key, holder.RunId, force: false, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task A_forced_release_frees_the_lease_that_was_read_and_records_who_forced_it_and_when()
    {
        var logs = new CapturingLoggerProvider();
        var services = fixture.CreateServices(logs: logs);
        var key = LockKey.ForOrg(s_week.AddWeeks(-3), Guid.NewGuid());
        var holder = Holder(DateTimeOffset.UtcNow.AddMinutes(5));
        await using var held = await services.GetRequiredService<WeeklyLockManager>().HoldAsync(key, holder);
        var before = DateTimeOffset.UtcNow;

        var release = await services.GetRequiredService<LockAdministration>().ReleaseAsync(key, holder.RunId, force: true, CancellationToken.None);

        var operatorName = $"{Environment.UserName}@{services.GetRequiredService<HostIdentity>().Name}";
        var record = release.Record!;
        Assert.Equal((LockReleaseOutcome.Released, key.BlobName, holder.RunId, true, operatorName), (release.Outcome, record.LockName, record.HolderRunId, record.Forced, record.ReleasedBy));
        Assert.InRange(record.ReleasedAt, before, DateTimeOffset.UtcNow);
        var logged = Assert.Single(logs.Entries, entry => entry.Category == typeof(LockAdministration).FullName);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Equal(
            $"Lock {key.BlobName} of week {key.Week} released from run {holder.RunId} (forced within its TTL: True) by {operatorName} at {record.ReleasedAt:O}",
            logged.Message);
        Assert.Equal(
            $"released the lease of run {holder.RunId}, forced within its TTL, by {operatorName} at {record.ReleasedAt:O} (a run that takes the lock now fences a live holder out)",
            LockText.Describe(release));
        // Released: another run can take the lock now, and its fence then keeps the holder from writing.
        Assert.True((await services.GetRequiredService<WeeklyLockManager>().TryAcquireAsync(key, Holder(DateTimeOffset.UtcNow.AddMinutes(5)), CancellationToken.None)).Acquired);
    }

    [Theory]
    [InlineData("taken over by a new holder", LockReleaseOutcome.ChangedHands)]
    [InlineData("taken over by a new holder that has not written its name yet", LockReleaseOutcome.ChangedHands)]
    [InlineData("its metadata rewritten under the same lease", LockReleaseOutcome.ChangedHands)]
    [InlineData("released by its holder", LockReleaseOutcome.AlreadyFree)]
    public async Task A_forced_release_leaves_a_lock_that_changed_after_it_was_read_alone(string change, LockReleaseOutcome expected)
    {
        var logs = new CapturingLoggerProvider();
        var services = fixture.CreateServices(logs: logs);
        var locks = services.GetRequiredService<WeeklyLockManager>();
        var admin = services.GetRequiredService<LockAdministration>();
        var key = LockKey.ForOrg(s_week.AddWeeks(-5), Guid.NewGuid());
        var first = Holder(DateTimeOffset.UtcNow.AddMinutes(5));
        var held = await locks.HoldAsync(key, first);
        var reading = (await admin.ReadAsync(key, CancellationToken.None))!;
        var blob = fixture.BlobService.GetBlobContainerClient(fixture.LockContainer).GetBlobClient(key.BlobName);
        var second = Holder(DateTimeOffset.UtcNow.AddMinutes(5));

        await using (held)
        await using (var secondHeld = await ChangeAsync(change, blob, locks, key, first, second))
        {
            var release = await admin.ReleaseAsync(reading, first.RunId, force: true, CancellationToken.None);

            Assert.Equal(expected, release.Outcome);
            Assert.Null(release.Record);
            Assert.DoesNotContain(logs.Entries, entry => entry.Category == typeof(LockAdministration).FullName && entry.Message.Contains("released from run"));
            var now = (await blob.GetPropertiesAsync()).Value;
            Assert.Equal(expected == LockReleaseOutcome.ChangedHands ? LeaseState.Leased : LeaseState.Available, now.LeaseState);
        }
    }

    /// <summary>Changes the lock between its reading and its release, as a concurrent holder or operator would.</summary>
    private static async Task<IAsyncDisposable?> ChangeAsync(string change, BlobClient blob, WeeklyLockManager locks, LockKey key, LockHolder first, LockHolder second)
    {
        var firstLease = blob.GetBlobLeaseClient(first.RunId.ToString());
        switch (change)
        {
            case "taken over by a new holder":
                await firstLease.BreakAsync(TimeSpan.Zero);
                return await locks.HoldAsync(key, second);
            case "taken over by a new holder that has not written its name yet":
                await firstLease.BreakAsync(TimeSpan.Zero);
                await blob.GetBlobLeaseClient(second.RunId.ToString()).AcquireAsync(TimeSpan.FromSeconds(15));
                return null;
            case "its metadata rewritten under the same lease":
                await blob.SetMetadataAsync(
                    (first with { ExpiresAt = first.ExpiresAt.AddMinutes(5) }).ToMetadata(), new BlobRequestConditions { LeaseId = first.RunId.ToString() });
                return null;
            default:
                await firstLease.ReleaseAsync();
                return null;
        }
    }

    private static LockHolder Holder(DateTimeOffset expiresAt) =>
        new(Guid.NewGuid(), "cli", "FULL", "all", expiresAt.AddMinutes(-10), expiresAt, "test-host");
}
