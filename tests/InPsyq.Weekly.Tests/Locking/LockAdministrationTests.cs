using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;

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
        await using var held = (await services.GetRequiredService<WeeklyLockManager>().TryAcquireAsync(LockKey.ForOrg(s_week, org), live, CancellationToken.None)).Lock!;
        await services.GetRequiredService<WeeklyLockManager>().TryAcquireAsync(LockKey.WholeWeek(s_week.AddWeeks(-1)), Holder(DateTimeOffset.UtcNow), CancellationToken.None);

        var entries = await services.GetRequiredService<LockAdministration>().ListAsync(s_week, CancellationToken.None);

        var entry = Assert.Single(entries);
        Assert.Equal((LockKey.ForOrg(s_week, org).BlobName, true, live.RunId, false), (entry.Name, entry.Leased, entry.Holder!.RunId, entry.PastExpiry));
    }

    [Fact]
    public async Task Release_is_refused_within_the_TTL_and_for_another_run_and_breaks_the_lease_when_forced()
    {
        var services = fixture.CreateServices();
        var key = LockKey.ForOrg(s_week, Guid.NewGuid());
        var holder = Holder(DateTimeOffset.UtcNow.AddMinutes(5));
        var locks = services.GetRequiredService<WeeklyLockManager>();
        var admin = services.GetRequiredService<LockAdministration>();
        await using var held = (await locks.TryAcquireAsync(key, holder, CancellationToken.None)).Lock!;

        Assert.Equal(LockReleaseOutcome.RunMismatch, await admin.ReleaseAsync(key, Guid.NewGuid(), force: true, CancellationToken.None));
        Assert.Equal(LockReleaseOutcome.NotExpired, await admin.ReleaseAsync(key, holder.RunId, force: false, CancellationToken.None));
        Assert.Equal(holder.RunId, (await locks.InspectAsync(key, CancellationToken.None)).Holder?.RunId);

        Assert.Equal(LockReleaseOutcome.Released, await admin.ReleaseAsync(key, holder.RunId, force: true, CancellationToken.None));
        Assert.Equal(LockState.Free, await locks.InspectAsync(key, CancellationToken.None));
        Assert.Equal(LockReleaseOutcome.NotFound, await admin.ReleaseAsync(LockKey.ForOrg(s_week, Guid.NewGuid()), holder.RunId, force: true, CancellationToken.None));
    }

    [Fact]
    public async Task A_holder_past_its_TTL_is_released_without_force()
    {
        var services = fixture.CreateServices();
        var key = LockKey.WholeWeek(s_week.AddWeeks(-2));
        var holder = Holder(DateTimeOffset.UtcNow.AddSeconds(-1));
        var admin = services.GetRequiredService<LockAdministration>();
        await using var held = (await services.GetRequiredService<WeeklyLockManager>().TryAcquireAsync(key, holder, CancellationToken.None)).Lock!;

        Assert.True((await admin.ListAsync(s_week.AddWeeks(-2), CancellationToken.None)).Single().PastExpiry);
        Assert.Equal(LockReleaseOutcome.Released, await admin.ReleaseAsync(key, holder.RunId, force: false, CancellationToken.None));
        Assert.Equal(LockReleaseOutcome.AlreadyFree, await admin.ReleaseAsync(key, holder.RunId, force: false, CancellationToken.None));
    }

    private static LockHolder Holder(DateTimeOffset expiresAt) =>
        new(Guid.NewGuid(), "cli", "FULL", "all", expiresAt.AddMinutes(-10), expiresAt, "test-host");
}
