using System.Globalization;

namespace InPsyq.FakeOpenAI;

/// <summary>One request as the quota saw it: when it arrived, what it was charged, and whether it was admitted.</summary>
public sealed record FakeQuotaArrival(DateTimeOffset At, long Tokens, bool Admitted);

/// <summary>What a quota admitted and refused in one window (a fixed minute from the first arrival, or a slice of it).</summary>
public sealed record FakeQuotaWindow(DateTimeOffset Start, int Requests, long Tokens, int Refused)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Start:HH:mm:ss.f} +{Requests} requests, {Tokens} tokens, {Refused} refused");
}

/// <summary>
/// A deployment's quota as Azure OpenAI applies it: each request is charged on arrival with its prompt tokens (a
/// quarter of the characters of its messages and response schema) plus its maximum output tokens, against requests
/// and tokens per minute evaluated over short slices: a bucket per limit that holds a sixth of the minute (one 10 s
/// slice) and refills at the per-minute rate. A request that does not fit is refused with 429 and the time until it
/// would (<c>Retry-After</c> in whole seconds, <c>retry-after-ms</c> exactly). A limit of 0 is no limit. Every arrival
/// is kept, so tests and the benchmark can count per-minute windows.
/// </summary>
public sealed class FakeQuota
{
    /// <summary>Azure OpenAI's default when a request names no maximum output.</summary>
    public const int DefaultMaxOutputTokens = 4096;

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<FakeQuotaArrival> _arrivals = [];
    private double _requests;
    private double _tokens;
    private DateTimeOffset _refilledAt;

    public FakeQuota(int requestsPerMinute, int tokensPerMinute, TimeProvider? time = null)
    {
        RequestsPerMinute = requestsPerMinute;
        TokensPerMinute = tokensPerMinute;
        _time = time ?? TimeProvider.System;
        _requests = requestsPerMinute / 6.0;
        _tokens = tokensPerMinute / 6.0;
        _refilledAt = _time.GetUtcNow();
    }

    public int RequestsPerMinute { get; }

    public int TokensPerMinute { get; }

    public IReadOnlyList<FakeQuotaArrival> Arrivals
    {
        get
        {
            lock (_gate)
            {
                return [.. _arrivals];
            }
        }
    }

    public int Refused => Arrivals.Count(arrival => !arrival.Admitted);

    /// <summary>The prompt tokens the fake counts: a quarter of the characters, rounded up.</summary>
    public static long PromptTokensOf(int characters) => (characters + 3) / 4;

    /// <summary>Charges a request of <paramref name="tokens"/>; null when admitted, else how long until it would be.</summary>
    public TimeSpan? TryAdmit(long tokens)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var seconds = Math.Max(0, (now - _refilledAt).TotalSeconds);
            _refilledAt = now;
            _requests = Math.Min(RequestsPerMinute / 6.0, _requests + (RequestsPerMinute / 60.0 * seconds));
            _tokens = Math.Min(TokensPerMinute / 6.0, _tokens + (TokensPerMinute / 60.0 * seconds));
            var requestsShort = RequestsPerMinute > 0 && _requests < 1 ? (1 - _requests) / (RequestsPerMinute / 60.0) : 0;
            var tokensShort = TokensPerMinute > 0 && _tokens < tokens ? (tokens - _tokens) / (TokensPerMinute / 60.0) : 0;
            var admitted = requestsShort == 0 && tokensShort == 0;
            _arrivals.Add(new FakeQuotaArrival(now, tokens, admitted));
            if (!admitted)
            {
                return TimeSpan.FromSeconds(Math.Max(requestsShort, tokensShort));
            }

            _requests -= 1;
            _tokens -= tokens;
            return null;
        }
    }

    /// <summary>Fixed windows of <paramref name="length"/> (a minute unless given) from the first arrival.</summary>
    public IReadOnlyList<FakeQuotaWindow> Windows(TimeSpan? length = null)
    {
        var arrivals = Arrivals;
        if (arrivals.Count == 0)
        {
            return [];
        }

        var size = length ?? TimeSpan.FromMinutes(1);
        var start = arrivals[0].At;
        return [.. arrivals
            .GroupBy(arrival => (long)((arrival.At - start) / size))
            .OrderBy(window => window.Key)
            .Select(window => new FakeQuotaWindow(
                start + (size * window.Key),
                window.Count(arrival => arrival.Admitted),
                window.Where(arrival => arrival.Admitted).Sum(arrival => arrival.Tokens),
                window.Count(arrival => !arrival.Admitted)))];
    }
}
