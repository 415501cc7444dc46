using System.Globalization;

namespace InPsyq.Weekly.LlmQuota;

/// <summary>An amount of both limits of a quota: requests and tokens.</summary>
public readonly record struct QuotaAmount(double Requests, double Tokens)
{
    public static QuotaAmount Zero => default;

    public static QuotaAmount operator +(QuotaAmount left, QuotaAmount right) => new(left.Requests + right.Requests, left.Tokens + right.Tokens);

    public static QuotaAmount operator -(QuotaAmount left, QuotaAmount right) => new(left.Requests - right.Requests, left.Tokens - right.Tokens);

    public static QuotaAmount operator *(QuotaAmount amount, double factor) => new(amount.Requests * factor, amount.Tokens * factor);

    public bool IsZero => Requests <= 0 && Tokens <= 0;

    /// <summary>Holds at least <paramref name="need"/> in both limits.</summary>
    public bool Covers(QuotaAmount need) => Requests >= need.Requests && Tokens >= need.Tokens;

    public static QuotaAmount Max(QuotaAmount left, QuotaAmount right) =>
        new(Math.Max(left.Requests, right.Requests), Math.Max(left.Tokens, right.Tokens));

    public static QuotaAmount Min(QuotaAmount left, QuotaAmount right) =>
        new(Math.Min(left.Requests, right.Requests), Math.Min(left.Tokens, right.Tokens));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Requests:0.##} requests, {Tokens:0} tokens");
}

/// <summary>
/// A deployment's quota per minute (<c>LLM_REQUESTS_PER_MINUTE</c>, <c>LLM_TOKENS_PER_MINUTE</c>); a limit of 0 is no
/// limit. Each limit is a token bucket refilled at <see cref="PerSecond"/> and holding <see cref="Burst"/>; a lease
/// takes at most <see cref="LeaseCap"/> (2 s of quota).
/// </summary>
public sealed record QuotaLimits(double RequestsPerMinute, double TokensPerMinute)
{
    public bool IsUnlimited => RequestsPerMinute <= 0 && TokensPerMinute <= 0;

    public bool LimitsRequests => RequestsPerMinute > 0;

    public bool LimitsTokens => TokensPerMinute > 0;

    /// <summary>The refill per second; an unlimited dimension is infinite.</summary>
    public QuotaAmount PerSecond => new(PerSecondOf(RequestsPerMinute), PerSecondOf(TokensPerMinute));

    /// <summary>
    /// Azure OpenAI evaluates a sixth of the minute (10 s) at a time. The governor holds 2 s of it back: a call is
    /// charged when its lease is granted and may go out up to a lease's lifetime later, so calls charged apart can
    /// arrive together; the reserve absorbs that instead of a 429.
    /// </summary>
    public QuotaAmount Burst => PerSecond * 8;

    public QuotaAmount LeaseCap => PerSecond * 2;

    /// <summary>The smallest lease worth a round trip when a host wants that much: a second of quota, shared by the live hosts.</summary>
    public QuotaAmount LeaseFloor => PerSecond;

    /// <summary>This host's part when the shared state cannot be reached: the quota divided by the live hosts.</summary>
    public QuotaLimits Share(int hosts) => hosts <= 1 ? this : new(RequestsPerMinute / hosts, TokensPerMinute / hosts);

    private static double PerSecondOf(double perMinute) => perMinute > 0 ? perMinute / 60 : double.PositiveInfinity;
}
