using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Demo;

/// <summary>One row of <c>measurement_responses</c>, as generated tenants (demo, benchmark) load them.</summary>
public readonly record struct ResponseRow(Guid ResponseId, Guid OrgId, Guid TeamId, Guid RespondentId, DateOnly Week, string ItemId, double Value);

/// <summary>Loads generated responses with binary <c>COPY</c>, streaming: the rows are never held in memory at once.</summary>
public static class ResponseCopy
{
    /// <summary>Copies the rows into <paramref name="table"/> (shaped like <c>measurement_responses</c>); answered Wednesday 09:00 UTC.</summary>
    public static async Task<ulong> CopyAsync(NpgsqlConnection connection, string table, IEnumerable<ResponseRow> rows, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync(
            $"copy {table} (response_id, org_id, team_id, respondent_id, week_start, item_id, value, answered_at) from stdin (format binary)", cancellationToken);
        foreach (var row in rows)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(row.ResponseId, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(row.OrgId, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(row.TeamId, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(row.RespondentId, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(row.Week, NpgsqlDbType.Date, cancellationToken);
            await writer.WriteAsync(row.ItemId, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync((decimal)row.Value, NpgsqlDbType.Numeric, cancellationToken);
            await writer.WriteAsync(new DateTimeOffset(row.Week.AddDays(2).ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero), NpgsqlDbType.TimestampTz, cancellationToken);
        }

        return await writer.CompleteAsync(cancellationToken);
    }
}
