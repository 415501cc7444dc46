using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;

namespace InPsyq.Weekly.Interpretation;

/// <summary>
/// The resilience pipeline of the Azure OpenAI HttpClient: retries on 429, 5xx and timeouts honouring
/// <c>Retry-After</c>, at most <c>LLM_MAX_ATTEMPTS</c> attempts in all, each bounded by <c>LLM_TIMEOUT_SECONDS</c>.
/// A <c>Retry-After</c> above <c>LLM_MAX_RETRY_AFTER_SECONDS</c> is not waited for: the response goes back at once.
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

/// <summary>The <c>Retry-After</c> header: delta-seconds or an HTTP date.</summary>
internal static class RetryAfter
{
    public static TimeSpan? Of(HttpResponseHeaders? headers, DateTimeOffset now) =>
        headers is not null && headers.TryGetValues("Retry-After", out var values) ? Parse(values.FirstOrDefault(), now) : null;

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
