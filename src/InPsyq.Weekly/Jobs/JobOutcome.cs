namespace InPsyq.Weekly.Jobs;

/// <summary>What a handler reports: succeeded, failed or skipped, with optional data and metrics for the execution row.</summary>
public sealed record JobOutcome
{
    private JobOutcome(JobStatus status, string? error, object? data, IReadOnlyDictionary<string, double>? metrics)
    {
        Status = status;
        Error = error;
        Data = data;
        Metrics = metrics;
    }

    public JobStatus Status { get; }

    public string? Error { get; }

    /// <summary>Serialized (snake_case JSON) into <c>scheduled_job_executions.result</c>.</summary>
    public object? Data { get; }

    public IReadOnlyDictionary<string, double>? Metrics { get; }

    public static JobOutcome Succeeded(object? data = null, IReadOnlyDictionary<string, double>? metrics = null) =>
        new(JobStatus.Succeeded, null, data, metrics);

    /// <summary>A failure; the runner retries it like a thrown exception.</summary>
    public static JobOutcome Failed(string error, object? data = null) => new(JobStatus.Failed, error, data, null);

    /// <summary>Nothing to do this time (never retried).</summary>
    public static JobOutcome Skipped(string reason, object? data = null) => new(JobStatus.Skipped, reason, data, null);
}
