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
        await _queue.Next.ClearMessagesAsync();
        await _queue.Poison.ClearMessagesAsync();
        await _queue.NextPoison.ClearMessagesAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_message_is_the_base64_of_its_JSON_as_the_Functions_queue_trigger_expects()
    {
        var message = new WorkMessage(Guid.NewGuid(), Guid.NewGuid(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        await _queue.SendAsync(message, continuesRun: false, CancellationToken.None);

        var raw = new QueueClient(TestEnvironment.BlobConnectionString, fixture.WorkQueue); // no decoding: the text as stored
        var stored = (await raw.PeekMessagesAsync(1)).Value.Single().Body.ToString();
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(stored));
        Assert.Equal($$"""{"v":1,"run_id":"{{message.RunId}}","item_id":"{{message.ItemId}}","traceparent":"{{message.Traceparent}}"}""", json);
        Assert.Equal(message, WorkMessage.FromJson((await _queue.ReceiveAsync(TimeSpan.FromSeconds(5), CancellationToken.None))!.Message.Body.ToString()));
    }

    [Fact]
    public async Task The_items_that_continue_a_run_are_received_before_the_first_items_of_runs_and_the_depth_counts_both()
    {
        var first = new WorkMessage(Guid.NewGuid(), Guid.NewGuid());
        var next = new WorkMessage(Guid.NewGuid(), Guid.NewGuid());
        await _queue.SendAsync(first, continuesRun: false, CancellationToken.None);
        await _queue.SendAsync(next, continuesRun: true, CancellationToken.None);

        var depth = await _queue.DepthAsync(CancellationToken.None);
        var one = (await _queue.ReceiveAsync(TimeSpan.FromSeconds(30), CancellationToken.None))!;
        var two = (await _queue.ReceiveAsync(TimeSpan.FromSeconds(30), CancellationToken.None))!;

        Assert.Equal(2, depth.Messages);
        Assert.Equal((next, _queue.Next.Name), (WorkMessage.FromJson(one.Message.Body.ToString()), one.Queue.Name));
        Assert.Equal((first, _queue.Queue.Name), (WorkMessage.FromJson(two.Message.Body.ToString()), two.Queue.Name));
        await one.DeleteAsync(one.Message.PopReceipt, CancellationToken.None);
        await two.DeleteAsync(two.Message.PopReceipt, CancellationToken.None);
        Assert.Equal(0, (await _queue.DepthAsync(CancellationToken.None)).Messages);
    }

    [Fact]
    public async Task A_renewed_message_stays_invisible_past_its_first_timeout_and_a_deleted_one_is_gone()
    {
        await _queue.SendAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()), continuesRun: false, CancellationToken.None);
        var received = (await _queue.ReceiveAsync(TimeSpan.FromSeconds(2), CancellationToken.None))!;

        var receipt = await received.RenewAsync(received.Message.PopReceipt, TimeSpan.FromSeconds(6), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Null(await _queue.ReceiveAsync(TimeSpan.FromSeconds(2), CancellationToken.None));
        await received.DeleteAsync(receipt, CancellationToken.None);
        Assert.Equal(0, (await _queue.DepthAsync(CancellationToken.None)).Messages);
    }

    [Fact]
    public async Task A_message_moved_to_poison_keeps_its_text_and_leaves_the_queue()
    {
        await _queue.Queue.SendMessageAsync("not a work message");
        var received = (await _queue.ReceiveAsync(TimeSpan.FromSeconds(5), CancellationToken.None))!;
        Assert.Null(WorkMessage.FromJson(received.Message.Body.ToString()));

        await _queue.MoveToPoisonAsync(received, received.Message.PopReceipt, CancellationToken.None);

        var depth = await _queue.DepthAsync(CancellationToken.None);
        Assert.Equal((0, 1), (depth.Messages, depth.PoisonMessages));
        Assert.Equal("not a work message", (await _queue.Poison.ReceiveMessageAsync()).Value.Body.ToString());
    }

    [Fact]
    public async Task The_depth_says_how_old_the_oldest_message_is()
    {
        await _queue.SendAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()), continuesRun: false, CancellationToken.None);
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

        await _queue.SendAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()), continuesRun: false, CancellationToken.None);
        var received = (await _queue.ReceiveAsync(TimeSpan.FromSeconds(5), CancellationToken.None))!;
        await _queue.MoveToPoisonAsync(received, received.Message.PopReceipt, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var depth = await _queue.DepthAsync(CancellationToken.None);

        Assert.Equal((0, null, 1), (depth.Messages, depth.OldestAge, depth.PoisonMessages));
        Assert.InRange(depth.OldestPoisonAge!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task The_depth_counts_the_poison_queue_the_functions_host_gives_the_next_lane()
    {
        await _queue.NextPoison.SendMessageAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()).ToJson());
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await _queue.Poison.SendMessageAsync(new WorkMessage(Guid.NewGuid(), Guid.NewGuid()).ToJson());

        var depth = await _queue.DepthAsync(CancellationToken.None);

        Assert.Equal(2, depth.PoisonMessages);
        Assert.InRange(depth.OldestPoisonAge!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    }
}
