using System.Reflection;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Health;

/// <summary>
/// Turns the package's <see cref="HealthReport"/> into the contract's answer: the JSON shape of
/// <see cref="WeeklyHealthReport"/>, 200 only when healthy and 503 otherwise, never cached.
/// </summary>
public sealed class WeeklyHealthReportWriter(IOptions<HealthOptions> options, TimeProvider time)
{
    private static readonly string s_version =
        typeof(WeeklyHealthReportWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public JsonResponse Write(HealthReport report) =>
        new(report.Status == HealthStatus.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, Describe(report));

    private WeeklyHealthReport Describe(HealthReport report) => new(
        report.Status,
        time.GetUtcNow(),
        s_version,
        report.Entries.ToDictionary(entry => entry.Key, entry => Describe(entry.Value), StringComparer.Ordinal));

    private WeeklyHealthCheckEntry Describe(HealthReportEntry entry) => new(
        entry.Status,
        HealthObservation.ValueIn(entry.Data),
        HealthObservation.UnitIn(entry.Data),
        entry.Exception switch
        {
            // The package reports a timeout as the check's cancellation.
            OperationCanceledException => $"No answer within {options.Value.CheckTimeoutSeconds} s.",
            // Its description of any other failure is the exception's message, which may name a host: only the type is shown.
            { } exception => $"The check failed ({exception.GetType().Name}).",
            null => entry.Description ?? string.Empty,
        },
        (long)entry.Duration.TotalMilliseconds);
}
