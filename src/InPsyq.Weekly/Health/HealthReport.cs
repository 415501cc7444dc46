namespace InPsyq.Weekly.Health;

/// <summary>Health of one check or of the whole service, ordered from best to worst.</summary>
public enum HealthStatus
{
    Healthy,
    Degraded,
    Unhealthy,
}

/// <summary>One check's verdict: what it saw, in what unit, and what it means.</summary>
public sealed record HealthCheckResult(HealthStatus Status, string? ObservedValue, string? ObservedUnit, string Message)
{
    public long DurationMs { get; init; }

    public static HealthCheckResult Healthy(string message, string? observedValue = null, string? observedUnit = null) =>
        new(HealthStatus.Healthy, observedValue, observedUnit, message);

    public static HealthCheckResult Degraded(string message, string? observedValue = null, string? observedUnit = null) =>
        new(HealthStatus.Degraded, observedValue, observedUnit, message);

    public static HealthCheckResult Unhealthy(string message, string? observedValue = null, string? observedUnit = null) =>
        new(HealthStatus.Unhealthy, observedValue, observedUnit, message);
}

/// <summary>The body of <c>GET /api/internal/health/weekly</c>.</summary>
public sealed record HealthReport(HealthStatus Status, DateTimeOffset CheckedAt, string Version, IReadOnlyDictionary<string, HealthCheckResult> Checks);
