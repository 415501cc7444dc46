using InPsyq.Weekly.Primitives;

namespace InPsyq.Weekly.Jobs;

/// <summary>The refusals of the job endpoints and CLI commands.</summary>
public static class JobErrors
{
    public static Refusal NotFound { get; } = new(RefusalKind.NotFound, "JOB_NOT_FOUND", "No job with this id exists.", "id");

    public static Refusal AlreadyRunning { get; } = new(RefusalKind.Conflict, "JOB_RUNNING", "The job is running already; run it again once it has finished.", "id");

    public static Refusal NotRunning { get; } = new(RefusalKind.Conflict, "JOB_NOT_RUNNING", "No execution of this job is running on any host.", "id");
}
