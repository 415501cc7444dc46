using System.Text.Json;

namespace InPsyq.Weekly.Jobs;

/// <summary>How one attempt of a job ended (<c>scheduled_job_executions.status</c> in snake_case).</summary>
public enum JobStatus
{
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
    Skipped,
}

/// <summary>Why an attempt started: the schedule, a person (HTTP or CLI), or a retry of a failed attempt.</summary>
public enum JobTrigger
{
    Schedule,
    Manual,
    Retry,
}

public static class JobWire
{
    /// <summary>The error of an attempt refused because the same job is running (here or on another host).</summary>
    public const string AlreadyRunning = "ALREADY_RUNNING";

    public static string ToWire(this JobStatus status) => JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());

    public static string ToWire(this JobTrigger trigger) => JsonNamingPolicy.SnakeCaseLower.ConvertName(trigger.ToString());
}
