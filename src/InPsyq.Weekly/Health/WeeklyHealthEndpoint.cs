using System.Reflection;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Health;

/// <summary>
/// <c>GET /api/internal/health/weekly</c> (admin secret): every check concurrently, each bounded by
/// <c>HEALTH_CHECK_TIMEOUT_SECONDS</c>, so a hung dependency makes its check unhealthy instead of hanging the
/// endpoint. 200 only when healthy, 503 otherwise; never cached; never a secret or an address in the body.
/// </summary>
public sealed class WeeklyHealthEndpoint(
    IEnumerable<IHealthCheck> checks,
    SecretAuthenticator authenticator,
    IOptions<HealthOptions> options,
    TimeProvider time)
{
    public const string Route = "internal/health/weekly";

    private static readonly string s_version =
        typeof(WeeklyHealthEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!authenticator.IsAuthorized(request, SecretKind.Admin))
        {
            return JsonResponse.Error(Errors.Unauthorized);
        }

        var report = await CheckAsync(cancellationToken);
        return new JsonResponse(report.Status == HealthStatus.Healthy ? 200 : 503, report);
    }

    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(checks.Select(check => RunAsync(check, cancellationToken)));
        var byName = results.ToDictionary(result => result.Name, result => result.Result);
        var overall = byName.Values.Select(result => result.Status).DefaultIfEmpty(HealthStatus.Healthy).Max();
        return new HealthReport(overall, time.GetUtcNow(), s_version, byName);
    }

    private async Task<(string Name, HealthCheckResult Result)> RunAsync(IHealthCheck check, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        using var timeout = new CancellationTokenSource(options.Value.CheckTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        HealthCheckResult result;
        try
        {
            // WaitAsync: a client library that ignores cancellation cannot hold the endpoint past the timeout.
            result = await check.CheckAsync(linked.Token).WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            result = new HealthCheckResult(check.WhenUnanswered, null, null, $"No answer within {options.Value.CheckTimeoutSeconds} s.");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            result = HealthCheckResult.Unhealthy($"The check failed ({e.GetType().Name}).");
        }

        return (check.Name, result with { DurationMs = (long)time.GetElapsedTime(started).TotalMilliseconds });
    }
}
