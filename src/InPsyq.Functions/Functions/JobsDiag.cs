using InPsyq.Weekly.Diagnostics;
using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace InPsyq.Functions.Functions;

/// <summary><c>GET /api/internal/diag/jobs</c> (admin secret).</summary>
public sealed class JobsDiag(JobsDiagEndpoint endpoint)
{
    [Function(nameof(JobsDiag))]
    public Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = JobsDiagEndpoint.Route)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoint.ListAsync(request, cancellationToken).AsActionResultAsync();
}
