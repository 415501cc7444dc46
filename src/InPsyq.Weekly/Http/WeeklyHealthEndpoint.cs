using InPsyq.Weekly.Http;
using InPsyq.Weekly.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InPsyq.Weekly.Health;

/// <summary>
/// <c>GET /api/internal/health/weekly</c> (admin secret): runs the weekly checks (<see cref="WeeklyHealthChecks"/>) and
/// writes their report (<see cref="WeeklyHealthReportWriter"/>).
/// </summary>
public sealed class WeeklyHealthEndpoint(HealthCheckService healthChecks, WeeklyHealthReportWriter writer, SecretAuthenticator authenticator)
{
    public const string Route = "internal/health/weekly";

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!authenticator.IsAuthorized(request, SecretKind.Admin))
        {
            return JsonResponse.Error(Errors.Unauthorized);
        }

        return writer.Write(await healthChecks.CheckHealthAsync(WeeklyHealthChecks.IsWeekly, cancellationToken));
    }
}
