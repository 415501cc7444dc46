namespace InPsyq.Weekly.Health;

/// <summary>One named check of the weekly health endpoint. Checks run concurrently, each under its own timeout.</summary>
public interface IHealthCheck
{
    string Name { get; }

    Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken);
}
