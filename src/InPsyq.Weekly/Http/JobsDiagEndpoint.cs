using InPsyq.Weekly.Http;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Security;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Diagnostics;

/// <summary>
/// <c>GET /api/internal/diag/jobs</c> (admin secret): the most recent attempts in <c>scheduled_job_executions</c>,
/// newest first, with filters <c>job_id</c>, <c>status</c> and <c>limit</c> (default 50, at most 200).
/// </summary>
public sealed class JobsDiagEndpoint(JobExecutionLog executions, SecretAuthenticator authenticator)
{
    public const string Route = "internal/diag/jobs";

    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!authenticator.IsAuthorized(request, SecretKind.Admin))
        {
            return JsonResponse.Error(Errors.Unauthorized);
        }

        if (DiagQuery.TryReadLimit(request.Query, out var limit) is { } invalidLimit)
        {
            return JsonResponse.Error(invalidLimit);
        }

        var recent = await executions.ListRecentAsync(
            request.Query["job_id"].FirstOrDefault(), request.Query["status"].FirstOrDefault(), limit, cancellationToken);
        return new JsonResponse(200, new { executions = recent });
    }
}
