using InPsyq.Weekly.Primitives;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.LlmQuota;

/// <param name="Key">The shared state's key: the endpoint's host and the deployment (stored, never logged or shown).</param>
/// <param name="Deployment">The deployment's name, for logs and health.</param>
/// <param name="Limits">The deployment's quota (<c>LLM_REQUESTS_PER_MINUTE</c>, <c>LLM_TOKENS_PER_MINUTE</c>).</param>
/// <param name="MaxOutputTokens"><c>LLM_MAX_OUTPUT_TOKENS</c>: charged with every call, as Azure OpenAI does.</param>
/// <param name="DefaultPause">The pause after a 429 without <c>Retry-After</c> at the whole rate (<c>LLM_RETRY_DELAY_SECONDS</c>).</param>
public sealed record LlmQuotaSettings(string Key, string Deployment, QuotaLimits Limits, int MaxOutputTokens, TimeSpan DefaultPause);

/// <summary>What one chat call is charged at admission: its estimated prompt tokens plus its maximum output.</summary>
public readonly record struct LlmCallCost(int PromptCharacters, long PromptTokens, int MaxOutputTokens)
{
    public QuotaAmount Amount => new(1, PromptTokens + MaxOutputTokens);
}

/// <summary>This host's view of the governor, for the <c>llm</c> health check.</summary>
/// <param name="Governing">A quota is configured (else admissions only wait out a 429's pause, on this host).</param>
/// <param name="Shared">The shared state in Postgres answers (else this host admits alone at quota ÷ live hosts).</param>
public sealed record LlmQuotaHostStatus(bool Governing, bool Shared, int LiveHosts, TimeSpan PausedFor, QuotaAmount AdmittedLastMinute, int ThrottlesLastTenMinutes);

/// <summary>
/// Admits this host's LLM calls against the deployment's quota, shared with every other host through Postgres
/// (<see cref="LlmQuotaStore"/>): calls wait in order for admission; the host leases small chunks of quota (at
/// most 2 s of it, valid 2 s) for its waiting calls, so the shared row is touched a few times a second, not per call.
/// A 429 pauses every host until its retry time and lowers the rate (AIMD, <see cref="QuotaBuckets"/>). When Postgres
/// does not answer within 2 s the host admits alone at quota ÷ live hosts (the hosts that leased in the last minute)
/// and asks Postgres again every 5 s. Without a quota (both limits 0) admission is immediate and nothing is stored;
/// a 429 then pauses this host only.
/// </summary>
public sealed partial class LlmQuotaGovernor : IAsyncDisposable
{
    public static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan PermitLifetime = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    private readonly LlmQuotaSettings _settings;
    private readonly LlmQuotaStore? _store;
    private readonly string _host;
    private readonly TimeProvider _time;
    private readonly ILogger<LlmQuotaGovernor> _logger;
    private readonly PromptTokenEstimator _estimator = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly Queue<(DateTimeOffset At, QuotaAmount Amount)> _admitted = new();
    private readonly Queue<DateTimeOffset> _throttles = new();

    private QuotaAmount _pool;
    private DateTimeOffset _poolExpiresAt;
    private DateTimeOffset _pausedUntil;
    private Task? _pump;
    private bool _shared = true;
    private int _liveHosts = 1;
    private double _rateFactor = 1;
    private QuotaState? _local;
    private DateTimeOffset _nextProbe;
    private Task? _probe;

    /// <param name="store">The shared state; only a quota needs it (without one the governor never reaches it).</param>
    /// <param name="host">This host's name in the shared state (<see cref="HostIdentity"/>): live hosts are counted by it.</param>
    internal LlmQuotaGovernor(LlmQuotaSettings settings, LlmQuotaStore? store, string host, TimeProvider time, ILogger<LlmQuotaGovernor> logger)
    {
        if (!settings.Limits.IsUnlimited)
        {
            ArgumentNullException.ThrowIfNull(store);
        }

        _settings = settings;
        _store = store;
        _host = host;
        _time = time;
        _logger = logger;
    }

    public LlmQuotaSettings Settings => _settings;

    public bool IsGoverning => !_settings.Limits.IsUnlimited;

    /// <summary>What a call with a prompt of <paramref name="promptCharacters"/> will be charged.</summary>
    public LlmCallCost Estimate(int promptCharacters) =>
        new(promptCharacters, _estimator.Estimate(promptCharacters), _settings.MaxOutputTokens);

    /// <summary>
    /// Waits until the call may go: immediately without a quota (unless a 429's pause is on), else when the quota
    /// admits it, in arrival order. Honours <paramref name="cancellationToken"/> (the run's deadline) while waiting.
    /// </summary>
    public ValueTask AdmitAsync(LlmCallCost cost, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        Waiter waiter;
        lock (_gate)
        {
            if (!IsGoverning)
            {
                Record(now, cost.Amount);
                return _pausedUntil > now ? new ValueTask(Task.Delay(_pausedUntil - now, _time, cancellationToken)) : ValueTask.CompletedTask;
            }

            ExpirePool(now);
            if (_waiters.Count == 0 && _pausedUntil <= now && _pool.Covers(cost.Amount))
            {
                _pool -= cost.Amount;
                Record(now, cost.Amount);
                return ValueTask.CompletedTask;
            }

            waiter = new Waiter(cost.Amount);
            waiter.Node = _waiters.AddLast(waiter);
            _pump ??= Task.Run(PumpAsync, CancellationToken.None);
        }

        return new ValueTask(WaitAsync(waiter, cancellationToken));
    }

    /// <summary>The service's count of the prompt: improves the estimator; a prompt underestimated is charged the difference.</summary>
    public void Completed(LlmCallCost cost, long reportedPromptTokens)
    {
        _estimator.Learn(cost.PromptCharacters, reportedPromptTokens);
        var underestimate = reportedPromptTokens - cost.PromptTokens;
        if (IsGoverning && underestimate > 0)
        {
            lock (_gate)
            {
                _pool -= new QuotaAmount(0, underestimate);
            }
        }
    }

    /// <summary>
    /// A 429: this host stops admitting at once (its leased permits are dropped) and the pause and lower rate go to
    /// every host through Postgres. Returns once recorded; the next admission waits the pause out.
    /// </summary>
    public async Task ThrottledAsync(TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _pool = QuotaAmount.Zero;
            _throttles.Enqueue(now);
            PauseUntil(now + (retryAfter is { } hinted && hinted > TimeSpan.Zero ? hinted : _settings.DefaultPause));
        }

        if (!IsGoverning)
        {
            return;
        }

        if (_shared)
        {
            try
            {
                var pausedFor = await WithDatabaseTimeoutAsync(
                    token => _store!.ThrottleAsync(_settings.Key, _host, _settings.Limits, retryAfter, _settings.DefaultPause, token), cancellationToken);
                lock (_gate)
                {
                    PauseUntil(_time.GetUtcNow() + pausedFor);
                }

                LogThrottled(_settings.Deployment, pausedFor.TotalSeconds);
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && !_stopping.IsCancellationRequested)
            {
                EnterLocalMode(e);
            }
        }

        lock (_gate)
        {
            var local = _settings.Limits.Share(_liveHosts);
            _local = QuotaBuckets.Throttle(LocalState(now), local, now, retryAfter, _settings.DefaultPause);
            PauseUntil(_local.PausedUntil!.Value);
        }
    }

    /// <summary>This host's view: mode, live hosts, its pause, what it admitted in the last minute and its recent 429s.</summary>
    public LlmQuotaHostStatus HostStatus()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            Trim(now);
            var admitted = _admitted.Aggregate(QuotaAmount.Zero, (sum, entry) => sum + entry.Amount);
            return new LlmQuotaHostStatus(IsGoverning, _shared, _liveHosts, _pausedUntil > now ? _pausedUntil - now : TimeSpan.Zero, admitted, _throttles.Count);
        }
    }

    /// <summary>The state every host shares, or null without a quota or before any lease; throws when Postgres does not answer.</summary>
    public Task<LlmQuotaSnapshot?> ReadSharedStateAsync(CancellationToken cancellationToken) =>
        IsGoverning ? _store!.ReadAsync(_settings.Key, cancellationToken) : Task.FromResult<LlmQuotaSnapshot?>(null);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_pump is { } pump)
        {
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }

    private async Task WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        await using var registration = cancellationToken.Register(() => Abandon(waiter, cancellationToken));
        await waiter.Admitted.Task;
    }

    private void Abandon(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (waiter.Node?.List is not null)
            {
                _waiters.Remove(waiter.Node);
            }
        }

        waiter.Admitted.TrySetCanceled(cancellationToken);
    }

    /// <summary>One loop per host while calls wait: admits from the leased permits, leases more, sleeps out pauses and refills.</summary>
    private async Task PumpAsync()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                LeaseRequest request;
                TimeSpan sleep;
                lock (_gate)
                {
                    var now = _time.GetUtcNow();
                    ExpirePool(now);
                    sleep = _pausedUntil > now ? _pausedUntil - now : TimeSpan.Zero;
                    if (sleep == TimeSpan.Zero)
                    {
                        AdmitFromPool(now);
                    }

                    if (_waiters.Count == 0)
                    {
                        _pump = null;
                        return;
                    }

                    request = Request(now);
                }

                if (sleep > TimeSpan.Zero)
                {
                    await Task.Delay(sleep, _time, _stopping.Token);
                    continue;
                }

                var (granted, wait) = await LeaseAsync(request);
                lock (_gate)
                {
                    if (!granted.IsZero)
                    {
                        var now = _time.GetUtcNow();
                        _pool += granted;
                        _poolExpiresAt = now + PermitLifetime;
                        AdmitFromPool(now);
                    }
                }

                if (wait > TimeSpan.Zero)
                {
                    // Up to a quarter more, so hosts told the same time do not all ask again at once.
                    await Task.Delay(wait * (1 + (Random.Shared.NextDouble() / 4)), _time, _stopping.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            EndPump(waiter => waiter.Admitted.TrySetCanceled(_stopping.Token));
        }
        catch (Exception e)
        {
            LogPumpFailed(e, _settings.Deployment);
            EndPump(waiter => waiter.Admitted.TrySetException(e));
        }
    }

    private void AdmitFromPool(DateTimeOffset now)
    {
        while (_waiters.First is { } first && _pool.Covers(first.Value.Need))
        {
            _waiters.RemoveFirst();
            if (first.Value.Admitted.TrySetResult())
            {
                _pool -= first.Value.Need;
                Record(now, first.Value.Need);
            }
        }
    }

    private LeaseRequest Request(DateTimeOffset now)
    {
        var limits = _shared ? _settings.Limits : _settings.Limits.Share(_liveHosts);
        var head = QuotaAmount.Max(QuotaAmount.Zero, _waiters.First!.Value.Need - _pool);
        var waiting = QuotaAmount.Max(QuotaAmount.Zero, _waiters.Aggregate(QuotaAmount.Zero, (sum, waiter) => sum + waiter.Need) - _pool);
        var lastSecond = _admitted.Where(entry => entry.At > now - TimeSpan.FromSeconds(1)).Aggregate(QuotaAmount.Zero, (sum, entry) => sum + entry.Amount);
        var request = QuotaBuckets.Request(limits, head, waiting, lastSecond, _shared ? _liveHosts : 1);

        // Alone, a host needs no batching: its head call goes as soon as its share allows.
        return _shared ? request : request with { Least = head };
    }

    /// <summary>A lease from the shared state, or from this host's share when Postgres does not answer.</summary>
    private async Task<(QuotaAmount Granted, TimeSpan Wait)> LeaseAsync(LeaseRequest request)
    {
        if (_shared)
        {
            try
            {
                var lease = await WithDatabaseTimeoutAsync(token => _store!.LeaseAsync(_settings.Key, _host, _settings.Limits, request, token), CancellationToken.None);
                Adopt(lease);
                return (lease.Granted, lease.PausedFor > TimeSpan.Zero ? TimeSpan.Zero : lease.Wait);
            }
            catch (Exception e) when (!_stopping.IsCancellationRequested)
            {
                EnterLocalMode(e);
            }
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (now >= _nextProbe && _probe is null)
            {
                _probe = Task.Run(ProbeAsync, CancellationToken.None);
            }

            var decision = QuotaBuckets.Lease(LocalState(now), _settings.Limits.Share(_liveHosts), now, request);
            _local = decision.State;
            return (decision.Granted, decision.Wait);
        }
    }

    /// <summary>In local mode, every <see cref="ProbeInterval"/>: an empty lease; when Postgres answers, the shared state is used again.</summary>
    private async Task ProbeAsync()
    {
        try
        {
            var lease = await WithDatabaseTimeoutAsync(
                token => _store!.LeaseAsync(_settings.Key, _host, _settings.Limits, default, token), CancellationToken.None);
            Adopt(lease);
            lock (_gate)
            {
                _shared = true;
                _local = null;
            }

            LogShared(_settings.Deployment);
        }
        catch (Exception) when (!_stopping.IsCancellationRequested)
        {
            lock (_gate)
            {
                _nextProbe = _time.GetUtcNow() + ProbeInterval;
            }
        }
        finally
        {
            lock (_gate)
            {
                _probe = null;
            }
        }
    }

    private void Adopt(SharedLease lease)
    {
        lock (_gate)
        {
            _liveHosts = Math.Max(1, lease.LiveHosts);
            _rateFactor = lease.State.RateFactor;
            if (lease.PausedFor > TimeSpan.Zero)
            {
                // Another host's 429: stop at once, including the permits leased before it.
                _pool = QuotaAmount.Min(_pool, QuotaAmount.Zero);
                PauseUntil(_time.GetUtcNow() + lease.PausedFor);
            }
        }
    }

    private void EnterLocalMode(Exception e)
    {
        lock (_gate)
        {
            if (!_shared)
            {
                return;
            }

            _shared = false;
            _nextProbe = _time.GetUtcNow() + ProbeInterval;
        }

        LogLocalMode(_settings.Deployment, e.GetType().Name, _liveHosts);
    }

    /// <summary>The local buckets, created empty (no burst) with the rate and pause as last known.</summary>
    private QuotaState LocalState(DateTimeOffset now) =>
        _local ??= QuotaState.Empty(now, _rateFactor, _pausedUntil > now ? _pausedUntil : null);

    private async Task<T> WithDatabaseTimeoutAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(DatabaseTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token, cancellationToken);
        var task = call(linked.Token);
        try
        {
            // The driver may take longer than the token to give up (it tries to cancel on the server first): do not wait for it.
            return await task.WaitAsync(DatabaseTimeout, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            _ = task.ContinueWith(abandoned => abandoned.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
    }

    private void PauseUntil(DateTimeOffset until)
    {
        if (until > _pausedUntil)
        {
            _pausedUntil = until;
        }
    }

    private void ExpirePool(DateTimeOffset now)
    {
        // Unused permits lapse (they were charged, they are not refunded); a debt stays.
        if (now >= _poolExpiresAt)
        {
            _pool = QuotaAmount.Min(_pool, QuotaAmount.Zero);
        }
    }

    private void Record(DateTimeOffset now, QuotaAmount amount)
    {
        _admitted.Enqueue((now, amount));
        Trim(now);
    }

    private void Trim(DateTimeOffset now)
    {
        while (_admitted.TryPeek(out var oldest) && oldest.At <= now - TimeSpan.FromMinutes(1))
        {
            _admitted.Dequeue();
        }

        while (_throttles.TryPeek(out var oldest) && oldest <= now - TimeSpan.FromMinutes(10))
        {
            _throttles.Dequeue();
        }
    }

    /// <summary>The loop stops for good (shutdown) or failed: no call may wait for it.</summary>
    private void EndPump(Action<Waiter> end)
    {
        lock (_gate)
        {
            foreach (var waiter in _waiters)
            {
                end(waiter);
            }

            _waiters.Clear();
            _pump = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "LLM quota governor ({Deployment}): Postgres did not answer ({Exception}); admitting locally at the quota divided by {LiveHosts} live hosts")]
    private partial void LogLocalMode(string deployment, string exception, int liveHosts);

    [LoggerMessage(Level = LogLevel.Information, Message = "LLM quota governor ({Deployment}): Postgres answers again; admitting from the shared quota")]
    private partial void LogShared(string deployment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LLM quota governor ({Deployment}): 429 from the service; every host pauses for {PausedSeconds:0.0} s")]
    private partial void LogThrottled(string deployment, double pausedSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "LLM quota governor ({Deployment}): the admission loop failed")]
    private partial void LogPumpFailed(Exception exception, string deployment);

    private sealed class Waiter(QuotaAmount need)
    {
        public QuotaAmount Need { get; } = need;

        public TaskCompletionSource Admitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }
    }
}
