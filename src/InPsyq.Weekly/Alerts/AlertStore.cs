using InPsyq.Weekly.Weeks;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Alerts;

/// <summary>A queued webhook message and how many attempts it has had.</summary>
internal sealed record OutboxEntry(long Id, string Payload, int Attempts);

internal enum OutboxStatus
{
    Pending,
    Sent,
    Failed,
}

/// <summary>
/// <c>alert_incidents</c> (the durable dedup state) and <c>alert_outbox</c> (every message to send). An incident
/// change and the message it causes are written in one transaction, so neither exists without the other.
/// All instants come from the caller's <see cref="TimeProvider"/>, not from the database clock.
/// </summary>
internal sealed class AlertStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Opens the incident of <paramref name="key"/> unless it is already open, and queues <paramref name="payload"/>
    /// (when given) for an incident it opened. Returns whether it opened one, and the queued message.
    /// </summary>
    public async Task<(bool Opened, OutboxEntry? Queued)> OpenAsync(
        IncidentKey key, AlertKind kind, Guid? runId, string? payload, DateTimeOffset now, DateTimeOffset firstAttemptAt,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Reopen a resolved incident, refresh an open one (no alert), or insert a new one. Between concurrent raisers
        // of one key, the updates' row lock and the insert's conflict let exactly one of them open it.
        await using var open = new NpgsqlCommand("""
            with existing as (
                select resolved_at from alert_incidents
                where dedup_group = $1 and scope = $2 and week_start = $3
            ), reopened as (
                update alert_incidents
                set kind = $4, first_run_id = $5, last_run_id = $5, opened_at = $6, last_alerted_at = $6, resolved_at = null
                where dedup_group = $1 and scope = $2 and week_start = $3 and resolved_at is not null
                returning 1
            ), kept_open as (
                update alert_incidents set kind = $4, last_run_id = coalesce($5, last_run_id)
                where dedup_group = $1 and scope = $2 and week_start = $3 and resolved_at is null
                returning 1
            ), inserted as (
                insert into alert_incidents (dedup_group, scope, week_start, kind, first_run_id, last_run_id, opened_at, last_alerted_at)
                select $1, $2, $3, $4, $5, $5, $6, $6
                where not exists (select 1 from existing)
                on conflict do nothing
                returning 1
            )
            select exists (select 1 from reopened) or exists (select 1 from inserted)
            """, connection, transaction);
        AddKey(open, key);
        open.Parameters.Add(new() { Value = kind.ToWire() });
        open.Parameters.Add(new() { Value = (object?)runId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        open.Parameters.Add(new() { Value = now });
        var opened = (bool)(await open.ExecuteScalarAsync(cancellationToken))!;

        OutboxEntry? queued = null;
        if (opened && payload is not null)
        {
            queued = await EnqueueAsync(connection, transaction, key, kind, runId, payload, now, firstAttemptAt, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (opened, queued);
    }

    /// <summary>
    /// Resolves the open incidents of the week in <paramref name="groups"/> for <paramref name="scope"/> (every scope
    /// when it is <c>all</c>) and queues each one's recovery message when <paramref name="recoveryPayload"/> gives one.
    /// </summary>
    public async Task<IReadOnlyList<(Incident Incident, OutboxEntry? Queued)>> ResolveAsync(
        IReadOnlyList<string> groups, string scope, IsoWeek week, Guid runId, Func<Incident, string?> recoveryPayload,
        DateTimeOffset now, DateTimeOffset firstAttemptAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var resolve = new NpgsqlCommand("""
            update alert_incidents set resolved_at = $4
            where week_start = $1 and resolved_at is null and dedup_group = any($2) and ($3 = 'all' or scope = $3)
            returning dedup_group, scope, kind, first_run_id, opened_at
            """, connection, transaction);
        resolve.Parameters.Add(new() { Value = week.Monday });
        resolve.Parameters.Add(new() { Value = groups.ToArray() });
        resolve.Parameters.Add(new() { Value = scope });
        resolve.Parameters.Add(new() { Value = now });
        var incidents = new List<Incident>();
        await using (var reader = await resolve.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                incidents.Add(new Incident(
                    new IncidentKey(reader.GetString(0), reader.GetString(1), week),
                    AlertKinds.Parse(reader.GetString(2)),
                    await reader.IsDBNullAsync(3, cancellationToken) ? null : reader.GetGuid(3),
                    reader.GetFieldValue<DateTimeOffset>(4)));
            }
        }

        var resolved = new List<(Incident, OutboxEntry?)>();
        foreach (var incident in incidents)
        {
            var payload = recoveryPayload(incident);
            var queued = payload is null
                ? null
                : await EnqueueAsync(connection, transaction, incident.Key, AlertKind.Recovery, runId, payload, now, firstAttemptAt, cancellationToken);
            resolved.Add((incident, queued));
        }

        await transaction.CommitAsync(cancellationToken);
        return resolved;
    }

    /// <summary>Claims up to <paramref name="limit"/> due pending messages by moving their next attempt to <paramref name="claimUntil"/>.</summary>
    public async Task<IReadOnlyList<OutboxEntry>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset claimUntil, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            update alert_outbox set next_attempt_at = $2
            where id in (
                select id from alert_outbox
                where status = 'pending' and next_attempt_at <= $1
                order by next_attempt_at
                limit $3
                for update skip locked)
            returning id, payload::text, attempts
            """);
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = claimUntil });
        command.Parameters.Add(new() { Value = limit });
        var entries = new List<OutboxEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new OutboxEntry(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2)));
        }

        return entries;
    }

    public async Task RecordAttemptAsync(
        long id, int attempts, OutboxStatus status, string? error, DateTimeOffset? nextAttemptAt, DateTimeOffset? sentAt,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            update alert_outbox
            set attempts = $2, status = $3, last_error = coalesce($4, last_error), next_attempt_at = $5, sent_at = $6
            where id = $1
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = attempts });
        command.Parameters.Add(new() { Value = status.ToString().ToLowerInvariant() });
        command.Parameters.Add(new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)nextAttemptAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = (object?)sentAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<OutboxEntry> EnqueueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IncidentKey key, AlertKind kind, Guid? runId, string payload,
        DateTimeOffset now, DateTimeOffset firstAttemptAt, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand("""
            insert into alert_outbox (dedup_group, scope, week_start, kind, run_id, payload, next_attempt_at, created_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8)
            returning id
            """, connection, transaction);
        AddKey(insert, key);
        insert.Parameters.Add(new() { Value = kind.ToWire() });
        insert.Parameters.Add(new() { Value = (object?)runId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        insert.Parameters.Add(new() { Value = payload, NpgsqlDbType = NpgsqlDbType.Jsonb });
        insert.Parameters.Add(new() { Value = firstAttemptAt });
        insert.Parameters.Add(new() { Value = now });
        var id = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        return new OutboxEntry(id, payload, 0);
    }

    private static void AddKey(NpgsqlCommand command, IncidentKey key)
    {
        command.Parameters.Add(new() { Value = key.Group });
        command.Parameters.Add(new() { Value = key.Scope });
        command.Parameters.Add(new() { Value = key.Week.Monday });
    }
}
