using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Core;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Storage;

/// <summary>
/// A queue message: it only names an item (the item's row is the truth), with the trace context of the run's root span
/// (<see cref="RunTrace"/>; a message without one, e.g. sent again from the outbox, is read all the same). Every client
/// writes it base64-encoded, as the Functions queue trigger expects.
/// </summary>
public sealed record WorkMessage(
    [property: JsonPropertyName("run_id")] Guid RunId,
    [property: JsonPropertyName("item_id")] Guid ItemId,
    [property: JsonPropertyName("traceparent")] string? Traceparent = null,
    [property: JsonPropertyName("tracestate"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Tracestate = null)
{
    public static WorkMessage For(Guid runId, Guid itemId, RunTrace? trace) => new(runId, itemId, trace?.Traceparent, trace?.Tracestate);

    [JsonIgnore]
    public RunTrace? Trace => RunTrace.Of(Traceparent, Tracestate);

    [JsonPropertyName("v")]
    [JsonPropertyOrder(-1)]
    public int Version { get; init; } = 1;

    public string ToJson() => JsonSerializer.Serialize(this, WeeklyJson.Options);

    /// <summary>The message, or null when the text is not one (it then goes to the poison queue).</summary>
    public static WorkMessage? FromJson(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<WorkMessage>(text, WeeklyJson.Options) is { Version: 1 } message && message.ItemId != Guid.Empty ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// How full the queue is: messages visible or not (approximate), the age of the oldest visible one, and the poison
/// messages with the age of the oldest (since it was moved there).
/// </summary>
public sealed record WorkQueueDepth(int Messages, TimeSpan? OldestAge, int PoisonMessages, TimeSpan? OldestPoisonAge);

/// <summary>A message received from a work or poison queue, with the queue it came from (its receipts are that queue's).</summary>
public sealed record ReceivedMessage(QueueMessage Message, QueueClient Queue)
{
    /// <summary>Keeps the message invisible for another <paramref name="visibility"/>; returns its new pop receipt.</summary>
    public async Task<string> RenewAsync(string popReceipt, TimeSpan visibility, CancellationToken cancellationToken) =>
        (await Queue.UpdateMessageAsync(Message.MessageId, popReceipt, visibilityTimeout: visibility, cancellationToken: cancellationToken)).Value.PopReceipt;

    public Task DeleteAsync(string popReceipt, CancellationToken cancellationToken) =>
        Queue.DeleteMessageAsync(Message.MessageId, popReceipt, cancellationToken);
}

/// <summary>
/// The work queues and their poison queues, on the storage account of the blob containers (the connection
/// string's queue endpoint, or <c>QUEUE_SERVICE_URI</c> with the managed identity). <c>WEEKLY_WORK_QUEUE</c> holds the
/// first items of each run; <c>{WEEKLY_WORK_QUEUE}-next</c> every item that continues a run under way (a later stage,
/// the rest of an item). A worker takes from the second first, so an org's next stage does not wait behind the first
/// stage of every other org and run (each queue is first in, first out). A message nobody can work goes to
/// <c>{WEEKLY_WORK_QUEUE}-poison</c>; the Functions host moves a message whose dequeue count ran out to the poison queue
/// of its trigger's queue, so <c>{WEEKLY_WORK_QUEUE}-next-poison</c> is watched and swept as well.
/// </summary>
public sealed class WorkQueueClient
{
    /// <summary>The most messages one peek or receive returns.</summary>
    public const int MaxBatch = 32;

    /// <summary>
    /// How long a poison message is kept for inspection: it degrades the <c>work_queue</c> health check meanwhile, and
    /// the reaper deletes it afterwards once its run is final.
    /// </summary>
    public static readonly TimeSpan PoisonRetention = TimeSpan.FromDays(7);

    private readonly TimeProvider _time;

    public WorkQueueClient(IOptions<StorageOptions> storage, IOptions<WorkOptions> work, TokenCredential credential, TimeProvider time)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(20);
        var service = storage.Value.BlobConnectionString is { Length: > 0 } connectionString
            ? new QueueServiceClient(connectionString, options)
            : new QueueServiceClient(storage.Value.EffectiveQueueServiceUri, credential, options);
        Queue = service.GetQueueClient(work.Value.Queue);
        Next = service.GetQueueClient(work.Value.Queue + NextSuffix);
        Poison = service.GetQueueClient(work.Value.Queue + PoisonSuffix);
        NextPoison = service.GetQueueClient(work.Value.Queue + NextSuffix + PoisonSuffix);
        _time = time;
    }

    /// <summary>The suffix of the queue of items that continue a run under way (the Functions trigger names it too).</summary>
    public const string NextSuffix = "-next";

    /// <summary>The suffix the Functions host gives the poison queue of a trigger's queue.</summary>
    public const string PoisonSuffix = "-poison";

    /// <summary>The first items of each run.</summary>
    public QueueClient Queue { get; }

    /// <summary>The items that continue a run under way; taken before <see cref="Queue"/>.</summary>
    public QueueClient Next { get; }

    /// <summary>Where this library moves a message nobody can work, and the Functions host a first item's message.</summary>
    public QueueClient Poison { get; }

    /// <summary>Where the Functions host moves a continuing item's message whose dequeue count ran out.</summary>
    public QueueClient NextPoison { get; }

    private QueueClient[] PoisonQueues => [Poison, NextPoison];

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        foreach (var queue in (QueueClient[])[Queue, Next, .. PoisonQueues])
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }

    /// <param name="continuesRun">The item continues a run under way (<see cref="Next"/>), else it starts one (<see cref="Queue"/>).</param>
    public Task SendAsync(WorkMessage message, bool continuesRun, CancellationToken cancellationToken) =>
        (continuesRun ? Next : Queue).SendMessageAsync(message.ToJson(), cancellationToken);

    /// <summary>One message, from <see cref="Next"/> when it has one, else from <see cref="Queue"/>; null when both are empty.</summary>
    public async Task<ReceivedMessage?> ReceiveAsync(TimeSpan visibility, CancellationToken cancellationToken)
    {
        foreach (var queue in (QueueClient[])[Next, Queue])
        {
            if ((await queue.ReceiveMessagesAsync(1, visibility, cancellationToken)).Value is [var message, ..])
            {
                return new ReceivedMessage(message, queue);
            }
        }

        return null;
    }

    /// <summary>Moves a message nobody can work to the poison queue (its text as it was), then deletes it.</summary>
    public async Task MoveToPoisonAsync(ReceivedMessage received, string popReceipt, CancellationToken cancellationToken)
    {
        await Poison.SendMessageAsync(received.Message.Body.ToString(), cancellationToken);
        await received.DeleteAsync(popReceipt, cancellationToken);
    }

    /// <summary>Both work queues together (messages, the oldest visible one), and both poison queues together.</summary>
    public async Task<WorkQueueDepth> DepthAsync(CancellationToken cancellationToken)
    {
        var (messages, oldest) = await MeasureAsync([Queue, Next], cancellationToken);
        var (poisonMessages, oldestPoison) = await MeasureAsync(PoisonQueues, cancellationToken);
        var now = _time.GetUtcNow();
        return new WorkQueueDepth(messages, now - oldest, poisonMessages, now - oldestPoison);
    }

    /// <summary>The approximate messages of the queues together, and when the oldest visible one was inserted.</summary>
    private static async Task<(int Messages, DateTimeOffset? Oldest)> MeasureAsync(QueueClient[] queues, CancellationToken cancellationToken)
    {
        var messages = 0;
        DateTimeOffset? oldest = null;
        foreach (var queue in queues)
        {
            messages += (await queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
            oldest = new[] { oldest, (await queue.PeekMessagesAsync(1, cancellationToken)).Value.FirstOrDefault()?.InsertedOn }.Min();
        }

        return (messages, oldest);
    }

    /// <summary>
    /// The poison messages of both poison queues moved there at or after <paramref name="since"/>. A peek sees the
    /// first <see cref="MaxBatch"/> messages of a queue, the oldest (a queue is roughly first in, first out): those are
    /// judged by their insertion time, the rest of the queue counts as younger.
    /// </summary>
    public async Task<int> CountPoisonSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var poison in PoisonQueues)
        {
            var total = (await poison.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
            var peeked = (await poison.PeekMessagesAsync(MaxBatch, cancellationToken)).Value;
            count += peeked.Count(message => message.InsertedOn >= since) + Math.Max(0, total - peeked.Length);
        }

        return count;
    }

    /// <summary>
    /// Takes up to <see cref="MaxBatch"/> messages of each poison queue out of sight for <paramref name="visibility"/>,
    /// to look at and delete, or to make visible again (<see cref="ReceivedMessage.RenewAsync"/> with zero).
    /// </summary>
    public async Task<IReadOnlyList<ReceivedMessage>> ReceivePoisonAsync(TimeSpan visibility, CancellationToken cancellationToken)
    {
        var received = new List<ReceivedMessage>();
        foreach (var poison in PoisonQueues)
        {
            received.AddRange((await poison.ReceiveMessagesAsync(MaxBatch, visibility, cancellationToken)).Value.Select(message => new ReceivedMessage(message, poison)));
        }

        return received;
    }
}
