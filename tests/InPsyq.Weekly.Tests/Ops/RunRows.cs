using System.Text.Json;
using InPsyq.Weekly.Weeks;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>Writes (and reads back) <c>weekly_runs</c> rows directly, for history scenarios a real run cannot produce quickly.</summary>
public sealed class RunRows(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// One audit row. <paramref name="orgId"/> makes it org-scoped; a <c>running</c> row has no finish;
    /// <paramref name="details"/> is the jsonb <c>details</c> document (default: no teams).
    /// </summary>
    public async Task<Guid> AddAsync(
        string status,
        DateTimeOffset startedAt,
        IsoWeek? week = null,
        string mode = "FULL",
        Guid? orgId = null,
        string trigger = "schedule",
        long? durationMs = 1000,
        long tokensIn = 0,
        long tokensOut = 0,
        string details = "{}",
        Guid? runId = null)
    {
        var id = runId ?? Guid.NewGuid();
        var target = week ?? IsoWeek.Containing(startedAt).AddWeeks(-1);
        var running = status == "running";
        await using var command = dataSource.CreateCommand("""
            insert into weekly_runs (run_id, trigger, week_start, week_label, scope, org_id, mode, status, started_at, finished_at, duration_ms,
                                     llm_tokens_in, llm_tokens_out, details)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = trigger });
        command.Parameters.Add(new() { Value = target.Monday });
        command.Parameters.Add(new() { Value = target.Label });
        command.Parameters.Add(new() { Value = orgId is { } org ? $"org:{org}" : "all" });
        command.Parameters.Add(new() { Value = (object?)orgId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = mode });
        command.Parameters.Add(new() { Value = status });
        command.Parameters.Add(new() { Value = startedAt });
        command.Parameters.Add(new() { Value = running ? DBNull.Value : startedAt.AddMilliseconds(durationMs ?? 0), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = running ? DBNull.Value : (object?)durationMs ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = tokensIn });
        command.Parameters.Add(new() { Value = tokensOut });
        command.Parameters.Add(new() { Value = details, NpgsqlDbType = NpgsqlDbType.Jsonb });
        await command.ExecuteNonQueryAsync();
        return id;
    }

    /// <summary>A <c>details</c> document with one team per entry, each with its stages' statuses in stage order.</summary>
    public static string Details(params (Guid TeamId, string Name, string[] Statuses)[] teams)
    {
        string[] stageNames = ["rollup", "attribution", "interpretation"];
        var document = new
        {
            teams = teams.Select(team => new
            {
                org_id = Guid.Empty,
                team_id = team.TeamId,
                name = team.Name,
                status = team.Statuses[0],
                stages = team.Statuses.Select((status, i) => new { stage = stageNames[i], status, duration_ms = 10 }),
            }),
        };
        return JsonSerializer.Serialize(document);
    }

    public async Task<string> TriggerOfAsync(Guid runId)
    {
        await using var command = dataSource.CreateCommand("select trigger from weekly_runs where run_id = $1");
        command.Parameters.Add(new() { Value = runId });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public async Task ClearAsync()
    {
        await using var command = dataSource.CreateCommand("delete from weekly_runs; delete from scheduled_job_executions");
        await command.ExecuteNonQueryAsync();
    }
}
