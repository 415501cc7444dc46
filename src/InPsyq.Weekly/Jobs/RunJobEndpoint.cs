using InPsyq.Weekly.Http;
using InPsyq.Weekly.Security;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Jobs;

/// <summary>
/// <c>POST /api/internal/jobs/{id}/run</c> (admin secret): runs a job now and answers with its result, 200 when it
/// succeeded or skipped and 500 when it failed, timed out or was cancelled; 404 <c>JOB_NOT_FOUND</c>, 409
/// <c>JOB_RUNNING</c> when it is running already (here or on another host; the refusal is recorded as skipped).
/// </summary>
public sealed class RunJobEndpoint(JobRegistry registry, JobRunner runner, SecretAuthenticator authenticator)
{
    public const string Route = "internal/jobs/{id}/run";

    public async Task<IResult> HandleAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (!authenticator.IsAuthorized(request, SecretKind.Admin))
        {
            return JsonResponse.Error(Errors.Unauthorized);
        }

        if (registry.Find(id) is not { } job)
        {
            return JsonResponse.Error(JobErrors.NotFound);
        }

        var result = await runner.RunAsync(job, JobTrigger.Manual, cancellationToken);
        if (result.WasAlreadyRunning)
        {
            return JsonResponse.Error(JobErrors.AlreadyRunning);
        }

        return new JsonResponse(result.Status is JobStatus.Succeeded or JobStatus.Skipped ? 200 : 500, result);
    }
}
