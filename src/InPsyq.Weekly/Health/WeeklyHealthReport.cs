using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InPsyq.Weekly.Health;

/// <summary>The body of <c>GET /api/internal/health/weekly</c>: the overall status is the worst check's.</summary>
public sealed record WeeklyHealthReport(
    HealthStatus Status, DateTimeOffset CheckedAt, string Version, IReadOnlyDictionary<string, WeeklyHealthCheckEntry> Checks);

/// <summary>One check's verdict: what it saw, in what unit, what it means, and how long it took.</summary>
public sealed record WeeklyHealthCheckEntry(HealthStatus Status, string? ObservedValue, string? ObservedUnit, string Message, long DurationMs);
