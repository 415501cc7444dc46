using InPsyq.Weekly.Http;
using InPsyq.Weekly.Security;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Jobs;

/// <summary>
/// <c>POST /api/internal/jobs/{id}/cancel</c> (admin secret): cancels the job's running execution on whichever host
/// runs it. 202 with the execution id (recorded <c>cancelled</c> at once here, within <c>JOBS_CANCEL_POLL_SECONDS</c>
/// on another host); 404 <c>JOB_NOT_FOUND</c>; 409 <c>JOB_NOT_RUNNING</c> when no execution of it runs anywhere.
/// </summary>
public sealed class CancelJobEndpoint(JobRegistry registry, JobRunner runner, SecretAuthenticator authenticator)
{
    public const string Route = "internal/jobs/{id}/cancel";

    public async Task<IResult> HandleAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (!authenticator.IsAuthorized(request, SecretKind.Admin))
        {
            return JsonResponse.Error(Errors.Unauthorized);
        }

        if (registry.Find(id) is null)
        {
            return JsonResponse.Error(JobErrors.NotFound);
        }

        return await runner.RequestCancelAsync(id, cancellationToken) is { } executionId
            ? new JsonResponse(StatusCodes.Status202Accepted, new JobCancelAccepted(id, executionId))
            : JsonResponse.Error(JobErrors.NotRunning);
    }
}

/// <summary>The answer to an accepted cancel: the execution that will be recorded <c>cancelled</c>.</summary>
public sealed record JobCancelAccepted(string JobId, Guid ExecutionId, string Status = "cancel_requested");
