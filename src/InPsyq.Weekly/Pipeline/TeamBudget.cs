namespace InPsyq.Weekly.Pipeline;

/// <summary>
/// The time one team may spend in one stage (the stage's <see cref="IPipelineStage.TeamTimeout"/>). Waiting for
/// capacity that teams share (an <c>LLM_MAX_CONCURRENCY</c> slot, admission by the LLM quota governor) does not
/// count: <see cref="Pause"/> stops the clock until the returned scope is disposed. The run's deadline is a separate
/// token and always applies.
/// </summary>
public sealed class TeamBudget : IDisposable
{
    private readonly CancellationTokenSource _expiry;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private TimeSpan _remaining;
    private long _runningSince;
    private int _pauses;

    public TeamBudget(TimeSpan limit, TimeProvider time)
    {
        _time = time;
        _remaining = limit;
        _runningSince = time.GetTimestamp();
        _expiry = new CancellationTokenSource(limit, time);
    }

    /// <summary>Cancelled when the budget is spent.</summary>
    public CancellationToken Token => _expiry.Token;

    public bool IsExpired => _expiry.IsCancellationRequested;

    /// <summary>Stops the clock (pauses nest) until the scope is disposed.</summary>
    public IDisposable Pause()
    {
        lock (_gate)
        {
            if (_pauses++ == 0 && !_expiry.IsCancellationRequested)
            {
                _remaining -= _time.GetElapsedTime(_runningSince);
                _expiry.CancelAfter(Timeout.InfiniteTimeSpan);
            }
        }

        return new Resumption(this);
    }

    public void Dispose() => _expiry.Dispose();

    private void Resume()
    {
        lock (_gate)
        {
            if (--_pauses == 0 && !_expiry.IsCancellationRequested)
            {
                _runningSince = _time.GetTimestamp();
                _expiry.CancelAfter(_remaining > TimeSpan.Zero ? _remaining : TimeSpan.Zero);
            }
        }
    }

    private sealed class Resumption(TeamBudget budget) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                budget.Resume();
            }
        }
    }
}
