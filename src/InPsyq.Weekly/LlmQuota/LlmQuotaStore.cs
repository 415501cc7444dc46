using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.LlmQuota;

/// <param name="Granted">What the host may admit now.</param>
/// <param name="Wait">When nothing was granted: how long until the least asked for is there.</param>
/// <param name="PausedFor">How much longer a 429's pause lasts (zero when none).</param>
/// <param name="State">The shared state after the lease (for the host's fallback: rate and pause as last known).</param>
/// <param name="LiveHosts">Hosts that leased in the last minute, this one included.</param>
internal sealed record SharedLease(QuotaAmount Granted, TimeSpan Wait, TimeSpan PausedFor, QuotaState State, int LiveHosts);

/// <summary>The shared governor state as the <c>llm</c> health check reports it.</summary>
/// <param name="RateFactor">The admission rate now, as a fraction of the quota.</param>
/// <param name="PausedFor">How much longer admissions are paused after a 429 (zero when not paused).</param>
/// <param name="LeasedLastMinute">What every host together leased in the last minute: the admitted rate.</param>
/// <param name="ThrottlesLastTenMinutes">429s reported by any host in the last ten minutes.</param>
public sealed record LlmQuotaSnapshot(
    double RateFactor, DateTimeOffset? PausedUntil, TimeSpan PausedFor, QuotaAmount LeasedLastMinute, int ThrottlesLastTenMinutes, int LiveHosts);

/// <summary>
/// Every statement on <c>llm_quota</c> and <c>llm_quota_events</c>. A change is one transaction that locks the
/// deployment's row (creating it with full buckets on first use), applies <see cref="QuotaBuckets"/> with the
/// database's <c>now()</c>, writes the row back and records the event. Times never come from a host's clock.
/// </summary>
internal sealed class LlmQuotaStore(NpgsqlDataSource dataSource)
{
    private const string Lease = "lease";
    private const string Throttle = "throttle";

    public async Task<SharedLease> LeaseAsync(string deployment, string host, QuotaLimits limits, LeaseRequest request, CancellationToken cancellationToken)
    {
        var decision = default(LeaseDecision);
        var (state, now, liveHosts) = await ChangeAsync(deployment, host, limits, Lease, (current, time) =>
        {
            decision = QuotaBuckets.Lease(current, limits, time, request);
            return (decision.State, decision.Granted);
        }, cancellationToken);
        return new SharedLease(decision.Granted, decision.Wait, PausedFor(state, now), state, liveHosts);
    }

    /// <summary>Records a 429 for every host: the pause (until when, in Postgres time) and the lower rate.</summary>
    public async Task<TimeSpan> ThrottleAsync(
        string deployment, string host, QuotaLimits limits, TimeSpan? retryAfter, TimeSpan defaultPause, CancellationToken cancellationToken)
    {
        var (state, now, _) = await ChangeAsync(deployment, host, limits, Throttle,
            (current, time) => (QuotaBuckets.Throttle(current, limits, time, retryAfter, defaultPause), QuotaAmount.Zero), cancellationToken);
        return PausedFor(state, now);
    }

    /// <summary>The deployment's shared state, or null when no host has leased from it yet.</summary>
    public async Task<LlmQuotaSnapshot?> ReadAsync(string deployment, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select q.rate_factor, q.paused_until, now(),
                   coalesce(sum(e.requests) filter (where e.kind = 'lease' and e.at > now() - interval '1 minute'), 0),
                   coalesce(sum(e.tokens) filter (where e.kind = 'lease' and e.at > now() - interval '1 minute'), 0),
                   (count(*) filter (where e.kind = 'throttle'))::int,
                   (count(distinct e.host_id) filter (where e.kind = 'lease' and e.at > now() - interval '1 minute'))::int
            from llm_quota q
            left join llm_quota_events e on e.deployment = q.deployment and e.at > now() - interval '10 minutes'
            where q.deployment = $1
            group by q.deployment
            """);
        command.Parameters.Add(new() { Value = deployment });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var pausedUntil = await reader.IsDBNullAsync(1, cancellationToken) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(1);
        var now = reader.GetFieldValue<DateTimeOffset>(2);
        var state = new QuotaState(QuotaAmount.Zero, now, reader.GetDouble(0), pausedUntil);
        return new LlmQuotaSnapshot(QuotaBuckets.RateFactorAt(state, now), pausedUntil, PausedFor(state, now),
            new QuotaAmount(reader.GetDouble(3), reader.GetDouble(4)), reader.GetInt32(5), reader.GetInt32(6));
    }

    private async Task<(QuotaState State, DateTimeOffset Now, int LiveHosts)> ChangeAsync(
        string deployment, string host, QuotaLimits limits, string kind, Func<QuotaState, DateTimeOffset, (QuotaState State, QuotaAmount Recorded)> change,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var capacity = QuotaBuckets.Capacity(limits);
        await using var read = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Command("""
                    insert into llm_quota (deployment, request_level, token_level, refilled_at) values ($1, $2, $3, now())
                    on conflict (deployment) do nothing
                    """, deployment, capacity.Requests, capacity.Tokens),
                Command("""
                    select request_level, token_level, refilled_at, rate_factor, paused_until, now()
                    from llm_quota where deployment = $1 for update
                    """, deployment),
            },
        };
        QuotaState current;
        DateTimeOffset now;
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            // The insert returns no rows: the first result is the locked row.
            await reader.ReadAsync(cancellationToken);
            current = new QuotaState(new QuotaAmount(reader.GetDouble(0), reader.GetDouble(1)), reader.GetFieldValue<DateTimeOffset>(2), reader.GetDouble(3),
                await reader.IsDBNullAsync(4, cancellationToken) ? null : reader.GetFieldValue<DateTimeOffset>(4));
            now = reader.GetFieldValue<DateTimeOffset>(5);
        }

        var (changed, recorded) = change(current, now);
        await using var write = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Command("""
                    update llm_quota
                    set request_level = $2, token_level = $3, refilled_at = $4, rate_factor = $5, paused_until = $6,
                        throttled_at = case when $7 then now() else throttled_at end, updated_at = now()
                    where deployment = $1
                    """, deployment, changed.Level.Requests, changed.Level.Tokens, changed.RefilledAt, changed.RateFactor,
                    changed.PausedUntil is { } until ? until : (object)DBNull.Value, kind == Throttle),
                Command("insert into llm_quota_events (deployment, host_id, kind, requests, tokens) values ($1, $2, $3, $4, $5)",
                    deployment, host, kind, recorded.Requests, recorded.Tokens),
                Command("delete from llm_quota_events where deployment = $1 and at < now() - interval '10 minutes'", deployment),
                Command("""
                    select count(distinct host_id)::int from llm_quota_events
                    where deployment = $1 and kind = 'lease' and at > now() - interval '1 minute'
                    """, deployment),
            },
        };
        var liveHosts = (int)(await write.ExecuteScalarAsync(cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return (changed, now, liveHosts);
    }

    private static TimeSpan PausedFor(QuotaState state, DateTimeOffset now) =>
        state.PausedUntil is { } until && until > now ? until - now : TimeSpan.Zero;

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            // The only null is an unset pause.
            command.Parameters.Add(value is DBNull
                ? new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.TimestampTz }
                : new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
