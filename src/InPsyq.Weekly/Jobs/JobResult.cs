using System.Text.Json.Serialization;

namespace InPsyq.Weekly.Jobs;

/// <summary>The result of running a job: the final attempt's status, as the seeds' <c>JobResult</c> (<see cref="Success"/>).</summary>
public sealed record JobResult(
    string JobId,
    Guid ExecutionId,
    JobStatus Status,
    string? Error,
    [property: JsonIgnore] TimeSpan Duration,
    int Attempt,
    object? Data = null,
    IReadOnlyDictionary<string, double>? Metrics = null)
{
    public bool Success => Status == JobStatus.Succeeded;

    public long DurationMs => (long)Duration.TotalMilliseconds;

    /// <summary>Whether the run was refused because the job was already running.</summary>
    [JsonIgnore]
    public bool WasAlreadyRunning => Status == JobStatus.Skipped && Error == JobWire.AlreadyRunning;
}
