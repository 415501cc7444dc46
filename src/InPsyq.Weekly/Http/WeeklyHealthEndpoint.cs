using InPsyq.Weekly.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InPsyq.Weekly.Http;

/// <summary>
/// <c>GET /api/internal/health/weekly</c> (admin secret): runs the weekly checks (<see cref="WeeklyHealthChecks"/>) and
/// writes their report (<see cref="WeeklyHealthReportWriter"/>).
/// </summary>
public sealed class WeeklyHealthEndpoint(HealthCheckService healthChecks, WeeklyHealthReportWriter writer)
{
    public async Task<IResult> HandleAsync(CancellationToken cancellationToken) =>
        writer.Write(await healthChecks.CheckHealthAsync(WeeklyHealthChecks.IsWeekly, cancellationToken));
}
