using InPsyq.Weekly.Http;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Security;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Jobs;

/// <summary>
/// The job endpoints (admin secret; 401, then 404 <c>JOB_NOT_FOUND</c> for an unknown id):
/// <list type="bullet">
/// <item><c>POST /api/internal/jobs/{id}/run</c> runs a job now and answers with its result, 200 when it succeeded
/// or skipped and 500 when it failed, timed out or was cancelled; 409 <c>JOB_RUNNING</c> when it is running already
/// (here or on another host; the refusal is recorded as skipped).</item>
/// <item><c>POST /api/internal/jobs/{id}/cancel</c> cancels its running execution on whichever host runs it: 202 with
/// the execution id (recorded <c>cancelled</c> at once here, within <c>JOBS_CANCEL_POLL_SECONDS</c> on another host);
/// 409 <c>JOB_NOT_RUNNING</c> when no execution of it runs anywhere.</item>
/// </list>
/// </summary>
public sealed class JobEndpoints(JobRegistry registry, JobRunner runner, SecretAuthenticator authenticator)
{
    public const string RunRoute = "internal/jobs/{id}/run";

    public const string CancelRoute = "internal/jobs/{id}/cancel";

    public async Task<IResult> RunAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (Refuse(request, id) is { } refusal)
        {
            return JsonResponse.Error(refusal);
        }

        var result = await runner.RunAsync(id, JobTrigger.Manual, cancellationToken);
        if (result.WasAlreadyRunning)
        {
            return JsonResponse.Error(JobErrors.AlreadyRunning);
        }

        return new JsonResponse(result.Status is JobStatus.Succeeded or JobStatus.Skipped ? 200 : 500, result);
    }

    public async Task<IResult> CancelAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (Refuse(request, id) is { } refusal)
        {
            return JsonResponse.Error(refusal);
        }

        return await runner.RequestCancelAsync(id, cancellationToken) is { } executionId
            ? new JsonResponse(StatusCodes.Status202Accepted, new JobCancelAccepted(id, executionId))
            : JsonResponse.Error(JobErrors.NotRunning);
    }

    private ApiError? Refuse(HttpRequest request, string id) =>
        !authenticator.IsAuthorized(request, SecretKind.Admin) ? Errors.Unauthorized
        : registry.Find(id) is null ? JobErrors.NotFound
        : null;
}

/// <summary>The answer to an accepted cancel: the execution that will be recorded <c>cancelled</c>.</summary>
public sealed record JobCancelAccepted(string JobId, Guid ExecutionId, string Status = "cancel_requested");
