using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Primitives;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary>
/// The job endpoints (admin secret; then 404 <c>JOB_NOT_FOUND</c> for an unknown id):
/// <list type="bullet">
/// <item><c>POST /api/internal/jobs/{id}/run</c> runs a job now and answers with its result, 200 when it succeeded
/// or skipped and 500 when it failed, timed out or was cancelled; 409 <c>JOB_RUNNING</c> when it is running already
/// (here or on another host; the refusal is recorded as skipped).</item>
/// <item><c>POST /api/internal/jobs/{id}/cancel</c> cancels its running execution on whichever host runs it: 202 with
/// the execution id (recorded <c>cancelled</c> at once here, within <c>JOBS_CANCEL_POLL_SECONDS</c> on another host);
/// 409 <c>JOB_NOT_RUNNING</c> when no execution of it runs anywhere.</item>
/// </list>
/// </summary>
public sealed class JobEndpoints(JobRegistry registry, JobRunner runner)
{
    public async Task<IResult> RunAsync(string id, CallerIdentity? caller, CancellationToken cancellationToken)
    {
        if (registry.Find(id) is null)
        {
            return HttpErrors.For(JobErrors.NotFound);
        }

        var result = await runner.RunAsync(id, JobTrigger.Manual, caller, cancellationToken);
        if (result.WasAlreadyRunning)
        {
            return HttpErrors.For(JobErrors.AlreadyRunning);
        }

        var succeeded = result.Status is JobStatus.Succeeded or JobStatus.Skipped;
        return new JsonResponse(succeeded ? StatusCodes.Status200OK : StatusCodes.Status500InternalServerError, result);
    }

    public async Task<IResult> CancelAsync(string id, CancellationToken cancellationToken)
    {
        if (registry.Find(id) is null)
        {
            return HttpErrors.For(JobErrors.NotFound);
        }

        return await runner.RequestCancelAsync(id, cancellationToken) is { } executionId
            ? new JsonResponse(StatusCodes.Status202Accepted, new JobCancelAccepted(id, executionId))
            : HttpErrors.For(JobErrors.NotRunning);
    }
}
