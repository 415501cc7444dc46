using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;

namespace InPsyq.Weekly.Interpretation;

/// <summary>
/// The resilience pipeline of the Azure OpenAI HttpClient: retries on 408, 5xx, connection errors and timeouts
/// honouring <c>Retry-After</c>, at most <c>LLM_MAX_ATTEMPTS</c> attempts in all, each bounded by
/// <c>LLM_TIMEOUT_SECONDS</c>. A <c>Retry-After</c> above <c>LLM_MAX_RETRY_AFTER_SECONDS</c> is not waited for: the
/// response goes back at once. A 429 is never retried here: it goes back to the quota governor, which pauses every
/// host (<see cref="LlmQuota.LlmQuotaGovernor"/>), and is not one of the attempts.
/// </summary>
internal static partial class LlmResilience
{
    public const string PipelineName = "azure-openai";

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, LlmOptions options, TimeProvider time, ILogger logger)
    {
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryAfter,
                ShouldRetryAfterHeader = true,
                ShouldHandle = arguments => ValueTask.FromResult(
                    HttpClientResiliencePredicates.IsTransient(arguments.Outcome)
                    && arguments.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests
                    && !(RetryAfter.Of(arguments.Outcome.Result?.Headers, time.GetUtcNow()) > options.MaxRetryAfter)),
                OnRetry = arguments =>
                {
                    LogRetrying(logger, arguments.AttemptNumber + 1, (int?)arguments.Outcome.Result?.StatusCode, arguments.Outcome.Exception?.GetType().Name,
                        arguments.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            });
        }

        // Inside the retry, so each attempt gets its own budget.
        builder.AddTimeout(options.Timeout);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Azure OpenAI attempt {Attempt} failed (status {Status}, {Exception}); retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, int attempt, int? status, string? exception, double delayMs);
}

/// <summary>The <c>Retry-After</c> header: delta-seconds or an HTTP date; Azure OpenAI also sends <c>retry-after-ms</c>.</summary>
internal static class RetryAfter
{
    public static TimeSpan? Of(HttpResponseHeaders? headers, DateTimeOffset now) =>
        headers is not null && headers.TryGetValues("Retry-After", out var values) ? Parse(values.FirstOrDefault(), now) : null;

    /// <summary>The finer <c>retry-after-ms</c> when present, else <c>Retry-After</c>.</summary>
    public static TimeSpan? Parse(string? milliseconds, string? value, DateTimeOffset now) =>
        double.TryParse(milliseconds, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var ms) ? TimeSpan.FromMilliseconds(ms) : Parse(value, now);

    public static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? (date > now ? date - now : TimeSpan.Zero)
            : null;
    }
}
