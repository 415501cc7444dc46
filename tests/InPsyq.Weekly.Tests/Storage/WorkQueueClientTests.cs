using System.Text;
using Azure.Storage.Queues;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Storage;

/// <summary>The work queue against Azurite's queue service: base64 messages, renewed visibility, poison, depth.</summary>
public sealed class WorkQueueClientTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>, IAsyncLifetime
{
    private readonly WorkQueueClient _queue = fixture.CreateServices().GetRequiredService<WorkQueueClient>();

    public async Task InitializeAsync()
    {
        await _queue.EnsureAsync(CancellationToken.None);
        await _queue.Queue.ClearMessagesAsync();
        await _queue.Poison.ClearMessagesAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_message_is_the_base64_of_its_JSON_as_the_Functions_queue_trigger_expects()
    {
        var message = new WorkMessage(Guid.NewGuid(), Guid.NewGuid(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        await _queue.SendAsync(message, CancellationToken.None);

        var raw = new QueueClient(TestEnvironment.BlobConnectionString, fixture.WorkQueue); // no decoding: the text as stored
        var stored = (await raw.PeekMessagesAsync(1)).Value.Single().Body.ToString();
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(stored));
        Assert.Equal($$"""{"v":1,"run_id":"{{message.RunId}}","item_id":"{{message.ItemId}}","traceparent":"{{message.Traceparent}}"}""", json);
        Assert.Equal(message, WorkMessage.FromJson((await _queue.ReceiveAsync(1, TimeSpan.FromSeconds(5), CancellationToken.None)).Single().Body.ToString()));
    }

    [Fact]
    public async Task A_renewed_message_stays_invisible_past_its_first_timeout_and_a_deleted_one_is_gone()
    {
        await _queue.SendAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()), CancellationToken.None);
        var received = (await _queue.ReceiveAsync(1, TimeSpan.FromSeconds(2), CancellationToken.None)).Single();

        var receipt = await _queue.RenewAsync(received, received.PopReceipt, TimeSpan.FromSeconds(6), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Empty(await _queue.ReceiveAsync(1, TimeSpan.FromSeconds(2), CancellationToken.None));
        await _queue.DeleteAsync(received, receipt, CancellationToken.None);
        Assert.Equal(0, (await _queue.DepthAsync(CancellationToken.None)).Messages);
    }

    [Fact]
    public async Task A_message_moved_to_poison_keeps_its_text_and_leaves_the_queue()
    {
        await _queue.Queue.SendMessageAsync("not a work message");
        var received = (await _queue.ReceiveAsync(1, TimeSpan.FromSeconds(5), CancellationToken.None)).Single();
        Assert.Null(WorkMessage.FromJson(received.Body.ToString()));

        await _queue.MoveToPoisonAsync(received, received.PopReceipt, CancellationToken.None);

        var depth = await _queue.DepthAsync(CancellationToken.None);
        Assert.Equal((0, 1), (depth.Messages, depth.PoisonMessages));
        Assert.Equal("not a work message", (await _queue.Poison.ReceiveMessageAsync()).Value.Body.ToString());
    }

    [Fact]
    public async Task The_depth_says_how_old_the_oldest_message_is()
    {
        await _queue.SendAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var depth = await _queue.DepthAsync(CancellationToken.None);

        Assert.Equal(1, depth.Messages);
        Assert.InRange(depth.OldestAge!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task The_depth_says_how_many_poison_messages_there_are_and_how_long_the_oldest_has_been_there()
    {
        var empty = await _queue.DepthAsync(CancellationToken.None);
        Assert.Equal((0, null), (empty.PoisonMessages, empty.OldestPoisonAge));

        await _queue.SendAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()), CancellationToken.None);
        var received = (await _queue.ReceiveAsync(1, TimeSpan.FromSeconds(5), CancellationToken.None)).Single();
        await _queue.MoveToPoisonAsync(received, received.PopReceipt, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var depth = await _queue.DepthAsync(CancellationToken.None);

        Assert.Equal((0, null, 1), (depth.Messages, depth.OldestAge, depth.PoisonMessages));
        Assert.InRange(depth.OldestPoisonAge!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    }
}
