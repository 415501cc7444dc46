using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Locking;

/// <summary>
/// A refusal, a dry run and <c>locks list</c> name a lock's real holder, or say that it is not yet known; never a
/// placeholder, and never the previous holder whose metadata a new lease briefly still carries.
/// </summary>
public sealed class LockHolderVisibilityTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private static readonly IsoWeek s_week = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-11);

    [Fact]
    public async Task Of_12_concurrent_acquisitions_every_refused_one_names_that_rounds_winner()
    {
        var locks = fixture.CreateServices().GetRequiredService<WeeklyLockManager>();
        // Round 0 creates the lock blob; from round 1 on its metadata names the previous round's winner.
        var key = LockKey.ForOrg(s_week, Guid.NewGuid());
        for (var round = 0; round < 5; round++)
        {
            var attempts = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Holder()).Select(holder =>
                Task.Run(async () => (Holder: holder, Attempt: await locks.TryAcquireAsync(key, holder, CancellationToken.None)))));

            var winner = Assert.Single(attempts, attempt => attempt.Attempt.Acquired).Holder;
            Assert.All(attempts.Where(attempt => !attempt.Attempt.Acquired), refused => Assert.Equal(winner.RunId, refused.Attempt.Holder?.RunId));
            await locks.ReleaseAsync(key, winner.RunId, CancellationToken.None);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_lease_whose_holder_has_not_written_its_name_is_held_by_a_holder_not_yet_known(bool previousHolderNamed)
    {
        var harness = new RunnerHarness(fixture);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(1);
        var key = LockKey.ForOrg(RunnerHarness.LastWeek, org);
        var blob = LockBlob(key);
        await blob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Metadata = previousHolderNamed ? Holder().ToMetadata() : null });
        await blob.GetBlobLeaseClient(Guid.NewGuid().ToString()).AcquireAsync(TimeSpan.FromSeconds(15));
        var locks = harness.Services.GetRequiredService<WeeklyLockManager>();

        // Each reader waits for the name about two seconds before answering: all at once.
        var inspected = locks.InspectAsync(key, CancellationToken.None);
        var attempt = locks.TryAcquireAsync(key, Holder(), CancellationToken.None);
        var run = harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, org));
        var dryRun = harness.RunAsync(RunnerHarness.Request(RunMode.PipelineOnly, org, dryRun: true));
        var listed = harness.Services.GetRequiredService<LockAdministration>().ListAsync(RunnerHarness.LastWeek, CancellationToken.None);

        Assert.Equal(new LockState(true, null), await inspected);
        Assert.Equal((false, null), ((await attempt).Acquired, (await attempt).Holder));
        var refusal = Assert.IsType<LockedRefusal>((await run).Refusal);
        Assert.Equal((RefusalKind.Conflict, "LOCKED", null), (refusal.Kind, refusal.Code, refusal.Holder));
        Assert.Equal("Another run holds the lock for this week and scope; it took the lock a moment ago and is not yet known.", refusal.Message);
        var plan = (await dryRun).Report!;
        Assert.Equal(new LockStatus(false, null), plan.Lock);
        Assert.Contains("Lock: held by a run not yet known (it took the lock a moment ago)", RunReportText.Render(plan));
        var entry = Assert.Single(await listed, entry => entry.Name == key.BlobName);
        Assert.Equal((true, null), (entry.Leased, entry.Holder));
        Assert.Contains("(not yet known)", Server.Cli.LockText.Render([entry]));
    }

    [Fact]
    public async Task A_reader_that_meets_a_new_lease_before_its_holders_name_waits_for_the_name()
    {
        var locks = fixture.CreateServices().GetRequiredService<WeeklyLockManager>();
        var key = LockKey.ForOrg(s_week, Guid.NewGuid());
        var blob = LockBlob(key);
        await blob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Metadata = Holder().ToMetadata() });
        var newHolder = Holder();
        await blob.GetBlobLeaseClient(newHolder.RunId.ToString()).AcquireAsync(TimeSpan.FromSeconds(15));

        var naming = Task.Run(async () =>
        {
            await Task.Delay(400);
            await blob.SetMetadataAsync(newHolder.ToMetadata(), new BlobRequestConditions { LeaseId = newHolder.RunId.ToString() });
        });
        var refused = await locks.TryAcquireAsync(key, Holder(), CancellationToken.None);
        await naming;

        Assert.False(refused.Acquired);
        Assert.Equal(newHolder.RunId, refused.Holder?.RunId);
    }

    private BlobClient LockBlob(LockKey key) => fixture.BlobService.GetBlobContainerClient(fixture.LockContainer).GetBlobClient(key.BlobName);

    private static LockHolder Holder()
    {
        var now = DateTimeOffset.UtcNow;
        return new LockHolder(Guid.NewGuid(), "http", "FULL", "all", now, now.AddMinutes(5), "test-host");
    }
}
