namespace InPsyq.Weekly.Jobs;

/// <summary>The answer to an accepted cancel: the execution that will be recorded <c>cancelled</c>.</summary>
public sealed record JobCancelAccepted(string JobId, Guid ExecutionId, string Status = "cancel_requested");
