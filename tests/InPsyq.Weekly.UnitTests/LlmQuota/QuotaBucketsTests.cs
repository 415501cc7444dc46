using InPsyq.Weekly.LlmQuota;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.UnitTests.LlmQuota;

/// <summary>The governor's arithmetic: token buckets per limit, leases, and AIMD on 429s, on a fake clock.</summary>
public sealed class QuotaBucketsTests
{
    private static readonly QuotaLimits s_requests = new(1200, 0);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 2, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_new_deployment_holds_a_burst_of_8_s_of_quota_then_refills_at_the_quota_rate()
    {
        var state = QuotaState.Fresh(s_requests, _time.GetUtcNow());

        var burst = QuotaBuckets.Lease(state, s_requests, _time.GetUtcNow(), new(new(300, 0), new(1, 0)));
        var empty = QuotaBuckets.Lease(burst.State, s_requests, _time.GetUtcNow(), new(new(1, 0), new(1, 0)));
        _time.Advance(TimeSpan.FromSeconds(5));
        var refilled = QuotaBuckets.Refill(empty.State, s_requests, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMinutes(1));
        var capped = QuotaBuckets.Refill(refilled, s_requests, _time.GetUtcNow());

        Assert.Equal(160, burst.Granted.Requests, precision: 9);
        Assert.Equal((0, TimeSpan.FromMilliseconds(50)), (empty.Granted.Requests, empty.Wait));
        Assert.Equal(100, refilled.Level.Requests, precision: 9);
        Assert.Equal(160, capped.Level.Requests, precision: 9);
    }

    [Fact]
    public void Greedy_hosts_together_get_the_burst_plus_the_quota_rate_and_no_more()
    {
        var state = QuotaState.Fresh(s_requests, _time.GetUtcNow());
        var start = _time.GetUtcNow();
        double admitted = 0;
        var leases = 0;

        // Three hosts lease in turn, each asking for its 2 s of quota at once and waiting as told.
        while (_time.GetUtcNow() - start < TimeSpan.FromMinutes(1))
        {
            var request = QuotaBuckets.Request(s_requests, head: new(1, 0), waiting: new(100, 0), lastSecond: QuotaAmount.Zero);
            var decision = QuotaBuckets.Lease(state, s_requests, _time.GetUtcNow(), request);
            state = decision.State;
            admitted += decision.Granted.Requests;
            leases++;
            _time.Advance(decision.Wait > TimeSpan.Zero ? decision.Wait : TimeSpan.FromMilliseconds(1));
        }

        var elapsed = (_time.GetUtcNow() - start).TotalSeconds;
        // At most one lease's least (a second of quota) short of it at the end.
        Assert.InRange(admitted, 160 + (20 * elapsed) - 20, 160 + (20 * elapsed) + 1e-6);
        Assert.True(leases < admitted / 5, $"{leases} leases for {admitted} requests: the shared state must not be touched per call");
    }

    [Fact]
    public void A_lease_asks_for_its_waiting_calls_at_most_its_share_of_2_s_of_quota_and_at_least_of_a_second_or_the_head()
    {
        var waiting = QuotaBuckets.Request(s_requests, head: new(1, 0), waiting: new(8, 0), lastSecond: new(3, 0));
        var busy = QuotaBuckets.Request(s_requests, head: new(1, 0), waiting: new(100, 0), lastSecond: QuotaAmount.Zero);
        var quiet = QuotaBuckets.Request(s_requests, head: new(1, 0), waiting: new(1, 0), lastSecond: QuotaAmount.Zero);
        var big = QuotaBuckets.Request(new QuotaLimits(0, 60_000), head: new(1, 5000), waiting: new(1, 5000), lastSecond: QuotaAmount.Zero);
        var third = QuotaBuckets.Request(s_requests, head: new(1, 0), waiting: new(100, 0), lastSecond: QuotaAmount.Zero, hosts: 4);

        Assert.Equal(new LeaseRequest(new(8, 0), new(8, 0)), waiting);
        Assert.Equal(new LeaseRequest(new(40, 0), new(20, 0)), busy);
        Assert.Equal(new LeaseRequest(new(1, 0), new(1, 0)), quiet);
        Assert.Equal(new LeaseRequest(new(1, 5000), new(1, 5000)), big);
        Assert.Equal(new LeaseRequest(new(10, 0), new(5, 0)), third);
    }

    [Fact]
    public void Both_limits_bind_and_a_lease_keeps_them_in_step()
    {
        var limits = new QuotaLimits(1200, 60_000);
        var state = QuotaState.Fresh(limits, _time.GetUtcNow());

        // 40 calls of 1,000 tokens wanted; the tokens bucket holds 8,000: a fifth of the wish in both limits.
        var decision = QuotaBuckets.Lease(state, limits, _time.GetUtcNow(), new(new(40, 40_000), new(1, 1000)));

        Assert.Equal(8, decision.Granted.Requests, precision: 9);
        Assert.Equal(8000, decision.Granted.Tokens, precision: 9);
        Assert.Equal(152, decision.State.Level.Requests, precision: 9);
    }

    [Fact]
    public void A_call_larger_than_the_bucket_goes_once_it_is_full_and_leaves_a_debt()
    {
        var limits = new QuotaLimits(0, 6000);
        var state = QuotaState.Fresh(limits, _time.GetUtcNow());
        var call = new LeaseRequest(new(1, 1500), new(1, 1500));

        var first = QuotaBuckets.Lease(state, limits, _time.GetUtcNow(), call);
        var second = QuotaBuckets.Lease(first.State, limits, _time.GetUtcNow(), call);

        Assert.Equal(1500, first.Granted.Tokens);
        Assert.Equal(-700, first.State.Level.Tokens, precision: 9);
        Assert.True(second.Granted.IsZero);
        Assert.Equal(TimeSpan.FromSeconds(15), second.Wait);
    }

    [Fact]
    public void A_429_pauses_until_its_retry_time_empties_the_buckets_and_halves_the_rate_once_per_pause()
    {
        var state = QuotaState.Fresh(s_requests, _time.GetUtcNow());

        var throttled = QuotaBuckets.Throttle(state, s_requests, _time.GetUtcNow(), TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(2));
        _time.Advance(TimeSpan.FromSeconds(1));
        var again = QuotaBuckets.Throttle(throttled, s_requests, _time.GetUtcNow(), TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(2));
        var during = QuotaBuckets.Lease(again, s_requests, _time.GetUtcNow(), new(new(1, 0), new(1, 0)));

        Assert.Equal((0.0, 0.5), (throttled.Level.Requests, throttled.RateFactor));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(7), again.PausedUntil);
        Assert.Equal(0.5, again.RateFactor);
        Assert.Equal(TimeSpan.FromSeconds(7), during.Wait);
        Assert.True(during.Granted.IsZero);
    }

    [Fact]
    public void After_the_pause_the_rate_grows_back_additively_and_refills_the_bucket_at_that_rate()
    {
        var throttled = QuotaBuckets.Throttle(QuotaState.Fresh(s_requests, _time.GetUtcNow()), s_requests, _time.GetUtcNow(), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2));

        _time.Advance(TimeSpan.FromSeconds(5));
        var atEnd = QuotaBuckets.Refill(throttled, s_requests, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromSeconds(2));
        var halfRate = QuotaBuckets.Refill(atEnd, s_requests, _time.GetUtcNow());

        Assert.Equal(0, atEnd.Level.Requests);
        Assert.Equal(0.5, QuotaBuckets.RateFactorAt(throttled, _time.GetUtcNow() - TimeSpan.FromSeconds(2)));
        Assert.Equal(0.6, QuotaBuckets.RateFactorAt(throttled, _time.GetUtcNow()), precision: 9);
        Assert.Equal(1, QuotaBuckets.RateFactorAt(throttled, _time.GetUtcNow() + TimeSpan.FromSeconds(8)), precision: 9);
        Assert.Equal(20, halfRate.Level.Requests, precision: 9); // 2 s at half of 20/s
    }

    [Fact]
    public void A_429_without_retry_after_waits_longer_the_lower_the_rate_down_to_a_sixteenth()
    {
        var state = QuotaState.Fresh(s_requests, _time.GetUtcNow());
        var pauses = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            state = QuotaBuckets.Throttle(state, s_requests, _time.GetUtcNow(), retryAfter: null, TimeSpan.FromSeconds(2));
            pauses.Add(state.PausedUntil!.Value - _time.GetUtcNow());
            _time.Advance(pauses[^1]);
        }

        Assert.Equal([4, 8, 16, 32, 32, 32], pauses.Select(pause => pause.TotalSeconds));
        Assert.Equal(QuotaBuckets.MinimumRateFactor, state.RateFactor);
    }

    [Fact]
    public void An_unlimited_limit_never_holds_a_lease_back()
    {
        var limits = new QuotaLimits(600, 0);
        var state = QuotaState.Fresh(limits, _time.GetUtcNow());

        var decision = QuotaBuckets.Lease(state, limits, _time.GetUtcNow(), new(new(5, 1_000_000), new(1, 1_000_000)));

        Assert.Equal(new QuotaAmount(5, 1_000_000), decision.Granted);
        Assert.Equal(0, decision.State.Level.Tokens);
    }

    [Fact]
    public void A_host_alone_gets_the_quota_divided_by_the_live_hosts()
    {
        var share = new QuotaLimits(1200, 300_000).Share(3);

        Assert.Equal(new QuotaLimits(400, 100_000), share);
        Assert.Equal(new QuotaAmount(400.0 / 60, 100_000.0 / 60), share.PerSecond);
    }

    [Fact]
    public void The_refill_time_never_moves_back_when_another_host_refilled_later()
    {
        var state = QuotaState.Fresh(s_requests, _time.GetUtcNow());

        var earlier = QuotaBuckets.Refill(state, s_requests, _time.GetUtcNow() - TimeSpan.FromMilliseconds(5));

        Assert.Equal(state, earlier);
    }
}
