namespace InPsyq.Weekly.Health;

/// <summary>One named check of the weekly health endpoint. Checks run concurrently, each under its own timeout.</summary>
public interface IHealthCheck
{
    string Name { get; }

    /// <summary>What an answer missing at the check timeout means: unhealthy, unless the dependency is optional.</summary>
    HealthStatus WhenUnanswered => HealthStatus.Unhealthy;

    Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken);
}
