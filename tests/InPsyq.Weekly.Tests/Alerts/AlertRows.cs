using Npgsql;

namespace InPsyq.Weekly.Tests.Alerts;

public sealed record OutboxRow(long Id, string Kind, string Scope, Guid? RunId, string Status, int Attempts, string? LastError, DateTimeOffset? NextAttemptAt, string Payload);

public sealed record IncidentRow(string Group, string Scope, string Kind, Guid? FirstRunId, Guid? LastRunId, bool Open);

/// <summary>Reads <c>alert_outbox</c> and <c>alert_incidents</c> of one week, oldest first.</summary>
public static class AlertRows
{
    public static async Task<List<OutboxRow>> OutboxAsync(NpgsqlDataSource dataSource, DateOnly week)
    {
        await using var command = dataSource.CreateCommand("""
            select id, kind, scope, run_id, status, attempts, last_error, next_attempt_at, payload::text
            from alert_outbox where week_start = $1 order by id
            """);
        command.Parameters.Add(new() { Value = week });
        var rows = new List<OutboxRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new OutboxRow(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetGuid(3), reader.GetString(4),
                reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.GetString(8)));
        }

        return rows;
    }

    public static async Task<List<IncidentRow>> IncidentsAsync(NpgsqlDataSource dataSource, DateOnly week)
    {
        await using var command = dataSource.CreateCommand("""
            select dedup_group, scope, kind, first_run_id, last_run_id, resolved_at is null
            from alert_incidents where week_start = $1 order by opened_at, scope
            """);
        command.Parameters.Add(new() { Value = week });
        var rows = new List<IncidentRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new IncidentRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetGuid(3),
                reader.IsDBNull(4) ? null : reader.GetGuid(4), reader.GetBoolean(5)));
        }

        return rows;
    }
}
