using InPsyq.Weekly.WorkItems;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary>
/// One delivery of a work item from the queue <c>WEEKLY_WORK_QUEUE</c> (connection <c>WEEKLY_QUEUE</c>): the platform
/// scales this function out with the queue's length. It throws only when something failed that a redelivery can fix;
/// the host then shows the message again after host.json's visibility timeout, and moves it to the poison queue after
/// maxDequeueCount deliveries (the item's own attempts end it before that).
/// </summary>
public sealed class WorkItem(WorkItemProcessor processor)
{
    [Function(nameof(WorkItem))]
    public Task Run([QueueTrigger("%WEEKLY_WORK_QUEUE%", Connection = "WEEKLY_QUEUE")] string message, CancellationToken cancellationToken) =>
        processor.ProcessMessageAsync(message, cancellationToken);
}
