using System.Globalization;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.LlmQuota;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Health;

/// <summary>
/// <c>llm</c>: with Azure OpenAI configured, the endpoint answers at all (any status below 500; a plain GET spends no
/// tokens); otherwise, also when it does not answer within the check timeout, degraded, because runs would fail or fall
/// back. Offline mode is healthy and says so. The message also gives the quota governor's state: the quota, what every
/// host together was admitted in the last minute, the admission rate, a 429's pause and the recent 429s (also in
/// <see cref="HealthCheckResult.Data"/> under <c>governor_*</c>).
/// </summary>
public sealed class LlmHealthCheck(IOptions<LlmOptions> options, IHttpClientFactory httpClients, LlmQuotaGovernor governor) : IHealthCheck
{
    public const string HttpClientName = "llm-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.Value.Endpoint is not { } endpoint)
        {
            return HealthCheckResult.Healthy("Offline interpreter: no AZURE_OPENAI_ENDPOINT is configured, so no LLM is called.", data: HealthObservation.Of(OfflineInterpreter.ModelId, "model"));
        }

        var (quota, quotaData) = await DescribeGovernorAsync(cancellationToken);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).GetAsync(endpoint, cancellationToken);
            var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            var data = With(HealthObservation.Of(status, "http_status"), quotaData);
            return (int)response.StatusCode < 500
                ? HealthCheckResult.Healthy($"The Azure OpenAI endpoint answers. {quota}", data)
                : HealthCheckResult.Degraded($"The Azure OpenAI endpoint answers with a server error; interpretations may fail or fall back. {quota}", data: data);
        }
        catch (HttpRequestException e)
        {
            return HealthCheckResult.Degraded($"The Azure OpenAI endpoint does not answer ({e.HttpRequestError}); interpretations may fail or fall back. {quota}", data: quotaData);
        }
    }

    private async Task<(string Message, Dictionary<string, object> Data)> DescribeGovernorAsync(CancellationToken cancellationToken)
    {
        var host = governor.HostStatus();
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["governor_mode"] = !host.Governing ? "off" : host.Shared ? "shared" : "local",
            ["governor_host_requests_last_minute"] = host.AdmittedLastMinute.Requests,
            ["governor_host_429s_last_10_minutes"] = host.ThrottlesLastTenMinutes,
        };
        if (!host.Governing)
        {
            var paused = host.PausedFor > TimeSpan.Zero ? Invariant($"; paused for {host.PausedFor.TotalSeconds:0.0} s after a 429") : string.Empty;
            return (Invariant($"Quota governor off (LLM_REQUESTS_PER_MINUTE and LLM_TOKENS_PER_MINUTE are 0): this host admitted {host.AdmittedLastMinute.Requests:0} calls in the last minute and saw {host.ThrottlesLastTenMinutes} 429s in the last 10 minutes{paused}."), data);
        }

        var limits = governor.Settings.Limits;
        var quota = Invariant($"Quota governor ({Quota(limits)})");
        LlmQuotaSnapshot? shared;
        try
        {
            shared = await governor.ReadSharedStateAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            shared = null;
        }

        if (!host.Shared || shared is null)
        {
            var local = host.Shared
                ? "no host has leased yet or its shared state cannot be read"
                : Invariant($"Postgres does not answer, this host admits alone at the quota ÷ {host.LiveHosts} live hosts");
            data["governor_live_hosts"] = host.LiveHosts;
            return (Invariant($"{quota}: {local}; this host admitted {host.AdmittedLastMinute.Requests:0} calls in the last minute and saw {host.ThrottlesLastTenMinutes} 429s in the last 10 minutes."), data);
        }

        data["governor_requests_last_minute"] = shared.LeasedLastMinute.Requests;
        data["governor_tokens_last_minute"] = shared.LeasedLastMinute.Tokens;
        data["governor_rate_factor"] = shared.RateFactor;
        data["governor_429s_last_10_minutes"] = shared.ThrottlesLastTenMinutes;
        data["governor_live_hosts"] = shared.LiveHosts;
        if (shared.PausedUntil is { } pausedUntil && shared.PausedFor > TimeSpan.Zero)
        {
            data["governor_paused_until"] = pausedUntil;
        }

        var pause = shared.PausedFor > TimeSpan.Zero
            ? Invariant($"paused until {shared.PausedUntil:yyyy-MM-ddTHH:mm:ss.fffZ} ({shared.PausedFor.TotalSeconds:0.0} s) after a 429")
            : "not paused";
        return (Invariant($"{quota}: every host together admitted {shared.LeasedLastMinute.Requests:0} requests and {shared.LeasedLastMinute.Tokens:0} tokens in the last minute at {shared.RateFactor:P0} of the quota, {pause}, {shared.ThrottlesLastTenMinutes} 429s in the last 10 minutes, {shared.LiveHosts} live hosts."), data);
    }

    private static string Quota(QuotaLimits limits) => string.Join(", ",
        new[] { (limits.RequestsPerMinute, "requests/min"), (limits.TokensPerMinute, "tokens/min") }
            .Where(limit => limit.Item1 > 0)
            .Select(limit => Invariant($"{limit.Item1:0} {limit.Item2}")));

    private static Dictionary<string, object> With(IReadOnlyDictionary<string, object> observation, Dictionary<string, object> quota)
    {
        foreach (var (key, value) in observation)
        {
            quota[key] = value;
        }

        return quota;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
