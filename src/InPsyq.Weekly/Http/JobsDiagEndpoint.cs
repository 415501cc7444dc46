using InPsyq.Weekly.Jobs;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary>
/// <c>GET /api/internal/diag/jobs</c> (admin secret): the most recent attempts in <c>scheduled_job_executions</c>,
/// newest first, with filters <c>job_id</c>, <c>status</c> and <c>limit</c> (default 50, at most 200).
/// </summary>
public sealed class JobsDiagEndpoint(JobExecutionLog executions)
{
    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (DiagQuery.TryReadLimit(request.Query, out var limit) is { } invalidLimit)
        {
            return HttpErrors.For(invalidLimit);
        }

        var recent = await executions.ListRecentAsync(
            request.Query["job_id"].FirstOrDefault(), request.Query["status"].FirstOrDefault(), limit, cancellationToken);
        return new JsonResponse(StatusCodes.Status200OK, new { executions = recent });
    }
}
