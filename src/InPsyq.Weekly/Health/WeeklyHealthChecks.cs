using InPsyq.Weekly.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Health;

/// <summary>
/// The checks of <c>GET /api/internal/health/weekly</c>, registered with the HealthChecks package under one tag. The
/// package runs them concurrently, each under <c>HEALTH_CHECK_TIMEOUT_SECONDS</c>; a check that does not answer in
/// time (or throws) reports its registration's failure status: unhealthy, except <c>llm</c>, which is optional and
/// so only degraded.
/// </summary>
public static class WeeklyHealthChecks
{
    public const string Tag = "weekly";

    /// <summary>The registrations the weekly endpoint runs.</summary>
    public static bool IsWeekly(HealthCheckRegistration registration) => registration.Tags.Contains(Tag);

    public static IServiceCollection AddWeeklyHealthChecks(this IServiceCollection services)
    {
        string[] tags = [Tag];
        services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: tags)
            .AddCheck<BlobStorageHealthCheck>("blob_storage", tags: tags)
            .AddCheck<AuthHealthCheck>("auth", tags: tags)
            .AddCheck<WeeklyRunHealthCheck>("weekly_run", tags: tags)
            .AddCheck<LocksHealthCheck>("locks", tags: tags)
            .AddCheck<JobsHealthCheck>("jobs", tags: tags)
            .AddCheck<WorkQueueHealthCheck>("work_queue", tags: tags)
            .AddCheck<LlmHealthCheck>("llm", HealthStatus.Degraded, tags);

        // The timeout is a bound option, so it is applied to the registrations when the package reads them.
        services.AddOptions<HealthCheckServiceOptions>().PostConfigure<IOptions<HealthOptions>>((checks, health) =>
        {
            foreach (var registration in checks.Registrations.Where(IsWeekly))
            {
                registration.Timeout = health.Value.CheckTimeout;
                var create = registration.Factory;
                registration.Factory = provider => new StopsWaitingWhenCancelled(create(provider));
            }
        });
        services.AddHttpClient(LlmHealthCheck.HttpClientName);
        services.TryAddSingleton<WeeklyHealthReportWriter>();
        return services;
    }

    /// <summary>
    /// The package times a check out by cancelling its token, which a client library may ignore (Npgsql does while it
    /// opens a connection): the check is no longer awaited once its token is cancelled, so it cannot hold the endpoint.
    /// </summary>
    private sealed class StopsWaitingWhenCancelled(IHealthCheck check) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            check.CheckHealthAsync(context, cancellationToken).WaitAsync(cancellationToken);
    }
}
