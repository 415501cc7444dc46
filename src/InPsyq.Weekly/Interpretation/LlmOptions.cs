using System.Globalization;
using InPsyq.Weekly.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Interpretation;

/// <summary>The interpretation model: Azure OpenAI when an endpoint is configured, otherwise the offline templates.</summary>
public sealed class LlmOptions
{
    [ConfigurationKeyName("AZURE_OPENAI_ENDPOINT")]
    public Uri? Endpoint { get; set; }

    [ConfigurationKeyName("AZURE_OPENAI_DEPLOYMENT")]
    public string? Deployment { get; set; }

    /// <summary>Optional: without it the endpoint is called with a managed identity (DefaultAzureCredential).</summary>
    [SecretSetting]
    [ConfigurationKeyName("AZURE_OPENAI_API_KEY")]
    public string? ApiKey { get; set; }

    [ConfigurationKeyName("LLM_TIMEOUT_SECONDS")]
    public double TimeoutSeconds { get; set; } = 30;

    [ConfigurationKeyName("LLM_MAX_ATTEMPTS")]
    public int MaxAttempts { get; set; } = 3;

    [ConfigurationKeyName("LLM_MAX_RETRY_AFTER_SECONDS")]
    public double MaxRetryAfterSeconds { get; set; } = 30;

    /// <summary>Base of the exponential backoff between attempts when the service sends no <c>Retry-After</c>.</summary>
    [ConfigurationKeyName("LLM_RETRY_DELAY_SECONDS")]
    public double RetryDelaySeconds { get; set; } = 2;

    /// <summary>A per-process cap on calls in flight; the deployment's quota is <see cref="RequestsPerMinute"/> and <see cref="TokensPerMinute"/>.</summary>
    [ConfigurationKeyName("LLM_MAX_CONCURRENCY")]
    public int MaxConcurrency { get; set; } = 3;

    /// <summary>The deployment's requests-per-minute quota, shared by every instance (the quota governor); 0 = no limit.</summary>
    [ConfigurationKeyName("LLM_REQUESTS_PER_MINUTE")]
    public int RequestsPerMinute { get; set; }

    /// <summary>The deployment's tokens-per-minute quota, shared by every instance (the quota governor); 0 = no limit.</summary>
    [ConfigurationKeyName("LLM_TOKENS_PER_MINUTE")]
    public int TokensPerMinute { get; set; }

    /// <summary>Sent as the request's maximum output tokens; Azure OpenAI charges it against the tokens-per-minute quota at admission.</summary>
    [ConfigurationKeyName("LLM_MAX_OUTPUT_TOKENS")]
    public int MaxOutputTokens { get; set; } = 1500;

    [ConfigurationKeyName("LLM_FALLBACK_TO_OFFLINE")]
    public bool FallbackToOffline { get; set; }

    public bool UsesAzureOpenAI => Endpoint is not null;

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    public TimeSpan MaxRetryAfter => TimeSpan.FromSeconds(MaxRetryAfterSeconds);

    public TimeSpan RetryDelay => TimeSpan.FromSeconds(RetryDelaySeconds);

    /// <summary>The longest one chat call can take: every attempt times out and every wait is the longest allowed.</summary>
    public TimeSpan CallBudget => (Timeout * MaxAttempts) + (MaxRetryAfter * (MaxAttempts - 1));

    /// <summary>
    /// A team's stage-3 budget with Azure OpenAI: two chat calls (the first and one repair) at their longest, plus the
    /// stage budget <paramref name="teamTimeout"/> for reading and storing.
    /// </summary>
    public TimeSpan TeamBudget(TimeSpan teamTimeout) => (CallBudget * 2) + teamTimeout;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"LlmOptions {{ Endpoint = {Endpoint}, Deployment = {Deployment}, ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "none" : "redacted")} }}");
}

/// <summary>Start-up validation of the <c>LLM_*</c> and <c>AZURE_OPENAI_*</c> settings; messages never echo the key.</summary>
internal sealed class LlmOptionsValidator : IValidateOptions<LlmOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmOptions options)
    {
        var failures = new List<string>();
        Settings.RequireResolved(failures, options);
        Settings.RequirePositive(failures, "LLM_TIMEOUT_SECONDS", options.TimeoutSeconds);
        Settings.RequireRange(failures, "LLM_MAX_ATTEMPTS", options.MaxAttempts, 1, 10);
        Settings.RequirePositive(failures, "LLM_MAX_RETRY_AFTER_SECONDS", options.MaxRetryAfterSeconds);
        Settings.RequirePositive(failures, "LLM_RETRY_DELAY_SECONDS", options.RetryDelaySeconds);
        Settings.RequireRange(failures, "LLM_MAX_CONCURRENCY", options.MaxConcurrency, 1, 64);
        Settings.RequireRange(failures, "LLM_MAX_OUTPUT_TOKENS", options.MaxOutputTokens, 1, 128_000);
        Settings.RequireRange(failures, "LLM_REQUESTS_PER_MINUTE", options.RequestsPerMinute, 0, 1_000_000);
        Settings.RequireRange(failures, "LLM_TOKENS_PER_MINUTE", options.TokensPerMinute, 0, 1_000_000_000);
        if (options.TokensPerMinute is > 0 and var tokens && tokens < options.MaxOutputTokens)
        {
            // Every call is charged at least its maximum output: such a quota could never admit one.
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"LLM_TOKENS_PER_MINUTE must be 0 (no limit) or at least LLM_MAX_OUTPUT_TOKENS ({options.MaxOutputTokens}) (got {tokens})."));
        }

        if (options.Endpoint is { } endpoint)
        {
            var secure = endpoint.IsAbsoluteUri && (endpoint.Scheme == Uri.UriSchemeHttps || (endpoint.Scheme == Uri.UriSchemeHttp && endpoint.IsLoopback));
            if (!secure)
            {
                failures.Add("AZURE_OPENAI_ENDPOINT must be an absolute https URL (plain http is accepted for loopback test endpoints only).");
            }

            if (string.IsNullOrWhiteSpace(options.Deployment))
            {
                failures.Add("AZURE_OPENAI_DEPLOYMENT is required when AZURE_OPENAI_ENDPOINT is set.");
            }
        }
        else if (!string.IsNullOrWhiteSpace(options.Deployment) || !string.IsNullOrEmpty(options.ApiKey))
        {
            // A half-configured model would silently run offline; refuse to start instead.
            failures.Add("AZURE_OPENAI_DEPLOYMENT and AZURE_OPENAI_API_KEY require AZURE_OPENAI_ENDPOINT; leave all three unset for the offline interpreter.");
        }

        return Settings.Result(failures);
    }
}
