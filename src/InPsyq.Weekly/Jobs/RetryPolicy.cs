namespace InPsyq.Weekly.Jobs;

/// <summary>
/// Retries of a failed or timed-out attempt: <see cref="MaxAttempts"/> in total, the first included. The delay
/// before attempt n+1 is <c>min(MaxDelay, BaseDelay × Multiplier^(n−1))</c>, then multiplied by a factor drawn
/// uniformly from [1 − Jitter, 1 + Jitter] and capped at <see cref="MaxDelay"/> again.
/// </summary>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan BaseDelay, double Multiplier, TimeSpan MaxDelay, double Jitter = 0.2)
{
    /// <summary>One attempt, no retry.</summary>
    public static RetryPolicy None { get; } = new(1, TimeSpan.Zero, 1, TimeSpan.Zero, 0);

    /// <summary>The delay before attempt <paramref name="attempt"/> + 1, before jitter.</summary>
    public TimeSpan BackoffAfter(int attempt)
    {
        var scaled = BaseDelay.TotalMilliseconds * Math.Pow(Multiplier, attempt - 1);
        return TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, scaled));
    }

    /// <summary>The delay before attempt <paramref name="attempt"/> + 1, with jitter from <paramref name="random"/>.</summary>
    public TimeSpan DelayAfter(int attempt, IJitterSource random)
    {
        var factor = 1 + (Jitter * ((2 * random.NextUnit()) - 1));
        var jittered = BackoffAfter(attempt).TotalMilliseconds * factor;
        return TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, jittered));
    }

    /// <summary>Why the policy is unusable, or null when it is fine.</summary>
    internal string? Problem() =>
        MaxAttempts < 1 ? "MaxAttempts must be at least 1"
        : BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay ? "delays must satisfy 0 <= BaseDelay <= MaxDelay"
        : Multiplier < 1 ? "Multiplier must be at least 1"
        : Jitter is < 0 or >= 1 ? "Jitter must be in [0, 1)"
        : null;
}

/// <summary>The random source of retry jitter: a seam so tests can pin it.</summary>
public interface IJitterSource
{
    /// <summary>A number uniformly distributed in [0, 1).</summary>
    double NextUnit();
}

internal sealed class SharedRandomJitterSource : IJitterSource
{
    public double NextUnit() => Random.Shared.NextDouble();
}
