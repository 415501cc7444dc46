using InPsyq.Weekly.Runs;

namespace InPsyq.Weekly.Jobs;

/// <summary>The errors of the job endpoints and CLI commands (besides 401 and 405).</summary>
public static class JobErrors
{
    public static ApiError NotFound { get; } = new(404, "JOB_NOT_FOUND", "No job with this id exists.", "id");

    public static ApiError AlreadyRunning { get; } = new(409, "JOB_RUNNING", "The job is running already; run it again once it has finished.", "id");

    public static ApiError NotRunning { get; } = new(409, "JOB_NOT_RUNNING", "No execution of this job is running on any host.", "id");
}
