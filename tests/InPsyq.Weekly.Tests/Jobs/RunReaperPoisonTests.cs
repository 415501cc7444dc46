using System.Net;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Ops;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>
/// <c>run-reaper</c> and the poison queues (<c>{WEEKLY_WORK_QUEUE}-poison</c>, and <c>-next-poison</c> that the
/// Functions host fills), against Azurite's queue: poison messages are kept 7 days,
/// then deleted when their run is final or unknown. The queue stamps a message with its own clock, so the reaper's
/// clock is moved 8 days on to make the messages old.
/// </summary>
public sealed class RunReaperPoisonTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task Poison_messages_older_than_7_days_are_deleted_when_their_run_is_final_or_unknown()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var week = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-1);
        var rows = new RunRows(fixture.DataSource);
        var finished = await rows.AddAsync("partial", DateTimeOffset.UtcNow.AddHours(-1), week);
        var running = await rows.AddAsync("running", DateTimeOffset.UtcNow.AddHours(-1), week.AddWeeks(-1));
        await HoldLockAsync(running, LockKey.WholeWeek(week.AddWeeks(-1)), time.GetUtcNow().AddDays(30));
        await using var server = await fixture.StartServerAsync(configure: services => services.AddSingleton<TimeProvider>(time));
        var queue = server.Services.GetRequiredService<WorkQueueClient>();
        string[] bodies =
        [
            new WorkMessage(finished, Guid.NewGuid()).ToJson(),
            new WorkMessage(running, Guid.NewGuid()).ToJson(),
            new WorkMessage(Guid.NewGuid(), Guid.NewGuid()).ToJson(),
            "not a work message",
        ];
        foreach (var (body, index) in bodies.Select((body, index) => (body, index)))
        {
            await (index % 2 == 0 ? queue.Poison : queue.NextPoison).SendMessageAsync(body);
        }

        var (youngStatus, young) = await JobKit.RunOverHttpAsync(server, RunReaperJob.Id);
        var keptYoung = await PeekPoisonAsync(queue);
        time.SetUtcNow(DateTimeOffset.UtcNow.AddDays(8));
        var (oldStatus, old) = await JobKit.RunOverHttpAsync(server, RunReaperJob.Id);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (youngStatus, oldStatus));
        Assert.Equal(0, young.GetProperty("data").GetProperty("deleted_poison_messages").GetInt32());
        Assert.Equal(bodies.Order(StringComparer.Ordinal), keptYoung);
        Assert.Equal(3, old.GetProperty("data").GetProperty("deleted_poison_messages").GetInt32());
        Assert.Equal(3, old.GetProperty("metrics").GetProperty("deleted_poison_messages").GetDouble());
        Assert.Equal([bodies[1]], await PeekPoisonAsync(queue));
    }

    /// <summary>The visible poison messages' texts: a message the reaper kept is visible again at once.</summary>
    private static async Task<List<string>> PeekPoisonAsync(WorkQueueClient queue)
    {
        var texts = new List<string>();
        foreach (var poison in new[] { queue.Poison, queue.NextPoison })
        {
            texts.AddRange((await poison.PeekMessagesAsync(WorkQueueClient.MaxBatch)).Value.Select(message => message.Body.ToString()));
        }

        return [.. texts.Order(StringComparer.Ordinal)];
    }

    /// <summary>A lock held as a run holds it (an infinite lease with its run id as lease id), so the reaper leaves the run running.</summary>
    private async Task HoldLockAsync(Guid runId, LockKey key, DateTimeOffset expiresAt)
    {
        var blob = fixture.BlobService.GetBlobContainerClient(fixture.LockContainer).GetBlobClient(key.BlobName);
        await blob.UploadAsync(BinaryData.Empty, overwrite: true);
        await blob.SetMetadataAsync(new LockHolder(runId, "schedule", "FULL", "all", DateTimeOffset.UtcNow, expiresAt, "test-host").ToMetadata());
        await blob.GetBlobLeaseClient(runId.ToString()).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
    }
}
