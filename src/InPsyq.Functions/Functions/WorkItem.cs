using InPsyq.Weekly.Storage;
using InPsyq.Weekly.WorkItems;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary>
/// One delivery of a work item from the queues <c>WEEKLY_WORK_QUEUE</c> (a run's first items) and
/// <c>{WEEKLY_WORK_QUEUE}-next</c> (the items that continue a run under way), connection <c>WEEKLY_QUEUE</c>: the
/// platform scales each function out with its queue's length, so a run's later stages never wait behind the first
/// items of every other org. A delivery throws only when something failed that a redelivery can fix; the host then
/// shows the message again after host.json's visibility timeout, and moves it to the poison queue after
/// maxDequeueCount deliveries (the item's own attempts end it before that).
/// </summary>
public sealed class WorkItem(WorkItemProcessor processor)
{
    [Function(nameof(WorkItem))]
    public Task Run([QueueTrigger("%WEEKLY_WORK_QUEUE%", Connection = "WEEKLY_QUEUE")] string message, CancellationToken cancellationToken) =>
        processor.ProcessMessageAsync(message, cancellationToken);

    [Function("WorkItemNext")]
    public Task RunNext([QueueTrigger("%WEEKLY_WORK_QUEUE%" + WorkQueueClient.NextSuffix, Connection = "WEEKLY_QUEUE")] string message, CancellationToken cancellationToken) =>
        processor.ProcessMessageAsync(message, cancellationToken);
}
