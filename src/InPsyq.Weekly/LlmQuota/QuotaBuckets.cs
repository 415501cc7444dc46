namespace InPsyq.Weekly.LlmQuota;

/// <summary>
/// The state of one deployment's quota: the level of each bucket when last refilled, the admission rate (AIMD: a
/// fraction of the quota, halved by a 429 and growing back after the pause) and the pause a 429 asked for.
/// Levels may be negative: a call larger than a bucket, or one whose prompt was underestimated, leaves a debt.
/// </summary>
public sealed record QuotaState(QuotaAmount Level, DateTimeOffset RefilledAt, double RateFactor, DateTimeOffset? PausedUntil)
{
    /// <summary>A deployment not seen before: full buckets (the burst), the whole rate, no pause.</summary>
    public static QuotaState Fresh(QuotaLimits limits, DateTimeOffset now) => new(QuotaBuckets.Capacity(limits), now, 1, null);

    /// <summary>An empty local state, e.g. when the shared one cannot be reached: no burst, the rate and pause as last known.</summary>
    public static QuotaState Empty(DateTimeOffset now, double rateFactor, DateTimeOffset? pausedUntil) => new(QuotaAmount.Zero, now, rateFactor, pausedUntil);
}

/// <param name="Wanted">What the host would like: its waiting calls or its last second of admissions, at most 2 s of quota.</param>
/// <param name="Least">Below this nothing is granted: the call at the head of the queue, or the host's share of a second of quota.</param>
public readonly record struct LeaseRequest(QuotaAmount Wanted, QuotaAmount Least);

/// <param name="Granted">What the host may admit now (zero when it must wait).</param>
/// <param name="Wait">
/// How long until <see cref="LeaseRequest.Least"/> is available (the pause, or the refill): before asking again when
/// nothing was granted, and before asking for the rest when less than wanted was.
/// </param>
public readonly record struct LeaseDecision(QuotaState State, QuotaAmount Granted, TimeSpan Wait);

/// <summary>
/// The pure arithmetic of the quota governor, the same for the shared state in Postgres (with Postgres time) and for
/// a host's local fallback (with its own clock): token buckets per limit, leases, and AIMD on 429s.
/// </summary>
public static class QuotaBuckets
{
    /// <summary>A 429 halves the admission rate (once per pause, however many calls were refused)…</summary>
    public const double Decrease = 0.5;

    /// <summary>…down to a sixteenth of the quota…</summary>
    public const double MinimumRateFactor = 1.0 / 16;

    /// <summary>…and after the pause the rate grows back by this fraction of the quota per second (from half to whole in 10 s).</summary>
    public const double IncreasePerSecond = 0.05;

    public static QuotaAmount Capacity(QuotaLimits limits) => new(
        limits.LimitsRequests ? limits.Burst.Requests : 0,
        limits.LimitsTokens ? limits.Burst.Tokens : 0);

    /// <summary>The admission rate at <paramref name="now"/>: the factor set by the last 429, plus the additive increase since its pause ended.</summary>
    public static double RateFactorAt(QuotaState state, DateTimeOffset now)
    {
        if (state.PausedUntil is not { } pausedUntil || now <= pausedUntil)
        {
            return state.RateFactor;
        }

        return Math.Min(1, state.RateFactor + (IncreasePerSecond * (now - pausedUntil).TotalSeconds));
    }

    /// <summary>Adds what the buckets gained since they were last refilled; nothing accrues during a pause.</summary>
    public static QuotaState Refill(QuotaState state, QuotaLimits limits, DateTimeOffset now)
    {
        var start = state.PausedUntil is { } pausedUntil && pausedUntil > state.RefilledAt ? pausedUntil : state.RefilledAt;
        if (now <= start)
        {
            // Never move the refill time back: another host may have refilled at a later time of the same clock.
            return now > state.RefilledAt ? state with { RefilledAt = now } : state;
        }

        var seconds = (now - start).TotalSeconds;
        var factor = RateFactorAt(state, start);
        var capacity = Capacity(limits);
        var level = new QuotaAmount(
            limits.LimitsRequests ? Math.Min(capacity.Requests, state.Level.Requests + (limits.PerSecond.Requests * factor * seconds)) : 0,
            limits.LimitsTokens ? Math.Min(capacity.Tokens, state.Level.Tokens + (limits.PerSecond.Tokens * factor * seconds)) : 0);
        return state with { Level = level, RefilledAt = now };
    }

    /// <summary>
    /// What a host asks for: enough for every waiting call, or for what it admitted in the last second if that is more,
    /// capped at its share (of <paramref name="hosts"/> live hosts) of 2 s of quota; at least the call at the head of
    /// its queue, and at least its share of a second of quota when it wants that much, so a busy host touches the
    /// shared state about once a second, not once per call, and hosts take turns.
    /// </summary>
    public static LeaseRequest Request(QuotaLimits limits, QuotaAmount head, QuotaAmount waiting, QuotaAmount lastSecond, int hosts = 1)
    {
        var share = 1.0 / Math.Max(1, hosts);
        var wanted = QuotaAmount.Max(head, QuotaAmount.Min(QuotaAmount.Max(waiting, lastSecond), limits.LeaseCap * share));
        var least = QuotaAmount.Max(head, QuotaAmount.Min(wanted, limits.LeaseFloor * share));
        return new LeaseRequest(wanted, least);
    }

    /// <summary>
    /// Grants as much of <see cref="LeaseRequest.Wanted"/> as both buckets hold (in proportion, so the two limits stay
    /// in step), provided that is at least <see cref="LeaseRequest.Least"/>; otherwise grants nothing and says how long
    /// until it would. A call larger than a whole bucket goes once that bucket is full, leaving a debt.
    /// </summary>
    public static LeaseDecision Lease(QuotaState state, QuotaLimits limits, DateTimeOffset now, LeaseRequest request)
    {
        state = Refill(state, limits, now);
        if (state.PausedUntil is { } pausedUntil && pausedUntil > now)
        {
            return new LeaseDecision(state, QuotaAmount.Zero, pausedUntil - now);
        }

        var capacity = Capacity(limits);
        var fraction = Math.Min(
            Fraction(limits.LimitsRequests, state.Level.Requests, request.Wanted.Requests),
            Fraction(limits.LimitsTokens, state.Level.Tokens, request.Wanted.Tokens));
        var granted = fraction >= 1 ? request.Wanted : request.Wanted * fraction;
        if (!granted.Covers(request.Least))
        {
            // The least a bucket can ever be asked to hold before it grants is its capacity.
            var least = new QuotaAmount(
                limits.LimitsRequests ? Math.Min(request.Least.Requests, capacity.Requests) : 0,
                limits.LimitsTokens ? Math.Min(request.Least.Tokens, capacity.Tokens) : 0);
            var bounded = new QuotaAmount(limits.LimitsRequests ? state.Level.Requests : 0, limits.LimitsTokens ? state.Level.Tokens : 0);
            if (!bounded.Covers(least))
            {
                return new LeaseDecision(state, QuotaAmount.Zero, TimeToHold(state, limits, now, least));
            }

            granted = request.Least;
        }

        state = state with { Level = Charge(limits, state.Level, granted) };
        var rest = granted.Covers(request.Wanted) ? TimeSpan.Zero : TimeToHold(state, limits, now, request.Least);
        return new LeaseDecision(state, granted, rest);
    }

    /// <summary>
    /// A 429: pause every admission until <paramref name="retryAfter"/> (without one, <paramref name="defaultPause"/>
    /// divided by the new rate, so repeated 429s wait longer), empty the buckets (the service had no room) and halve
    /// the rate, once per pause: further 429s of calls already in flight only extend it.
    /// </summary>
    public static QuotaState Throttle(QuotaState state, QuotaLimits limits, DateTimeOffset now, TimeSpan? retryAfter, TimeSpan defaultPause)
    {
        state = Refill(state, limits, now);
        var paused = state.PausedUntil is { } until && until > now;
        var factor = paused ? state.RateFactor : Math.Max(MinimumRateFactor, RateFactorAt(state, now) * Decrease);
        var pause = retryAfter is { } hinted && hinted > TimeSpan.Zero ? hinted : defaultPause / factor;
        var pausedUntil = now + pause;
        if (state.PausedUntil is { } earlier && earlier > pausedUntil)
        {
            pausedUntil = earlier;
        }

        return state with
        {
            Level = QuotaAmount.Min(state.Level, QuotaAmount.Zero),
            RateFactor = factor,
            PausedUntil = pausedUntil,
        };
    }

    /// <summary>Takes <paramref name="amount"/> out of the limited buckets (an unlimited one stays at zero).</summary>
    public static QuotaAmount Charge(QuotaLimits limits, QuotaAmount level, QuotaAmount amount) => new(
        limits.LimitsRequests ? level.Requests - amount.Requests : 0,
        limits.LimitsTokens ? level.Tokens - amount.Tokens : 0);

    private static double Fraction(bool limited, double level, double wanted) =>
        !limited || wanted <= 0 ? 1 : Math.Max(0, level / wanted);

    private static TimeSpan TimeToHold(QuotaState state, QuotaLimits limits, DateTimeOffset now, QuotaAmount least)
    {
        var capacity = Capacity(limits);
        least = new QuotaAmount(Math.Min(least.Requests, capacity.Requests), Math.Min(least.Tokens, capacity.Tokens));
        var factor = RateFactorAt(state, now);
        var seconds = Math.Max(
            limits.LimitsRequests ? (least.Requests - state.Level.Requests) / (limits.PerSecond.Requests * factor) : 0,
            limits.LimitsTokens ? (least.Tokens - state.Level.Tokens) / (limits.PerSecond.Tokens * factor) : 0);
        return TimeSpan.FromSeconds(Math.Max(seconds, 0.001));
    }
}
