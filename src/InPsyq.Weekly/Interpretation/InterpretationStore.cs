using System.Text.Json.Nodes;
using InPsyq.Weekly.Weeks;
using Npgsql;
using NpgsqlTypes;

namespace InPsyq.Weekly.Interpretation;

/// <summary>One interpretation to store as the active row of its team-week.</summary>
public sealed record InterpretationRow(
    Guid OrgId,
    Guid TeamId,
    IsoWeek Week,
    string InputHash,
    string ModelId,
    string PromptVersion,
    JsonObject Sections,
    long TokensIn,
    long TokensOut,
    Guid RunId);

/// <summary>The active row of a team-week, as far as deciding whether to write again needs it.</summary>
public sealed record ActiveInterpretation(string InputHash, Guid RunId);

/// <summary><c>weekly_interpretations</c>: at most one active row per team-week, replaced atomically.</summary>
public sealed class InterpretationStore(NpgsqlDataSource dataSource)
{
    public async Task<ActiveInterpretation?> FindActiveAsync(Guid teamId, IsoWeek week, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select input_hash, run_id from weekly_interpretations where team_id = $1 and week_start = $2 and is_active");
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = week.Monday });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new ActiveInterpretation(reader.GetString(0), reader.GetGuid(1)) : null;
    }

    /// <summary>
    /// The unit of output of stage 3, for <see cref="Storage.WriteFence.WriteAsync"/>: deactivates the active row of the
    /// team-week and inserts <paramref name="row"/> as the new active one, in one transaction; a failure leaves the
    /// previous row active.
    /// </summary>
    public static IReadOnlyList<NpgsqlBatchCommand> ReplaceActive(InterpretationRow row)
    {
        var deactivate = new NpgsqlBatchCommand("update weekly_interpretations set is_active = false where team_id = $1 and week_start = $2 and is_active");
        deactivate.Parameters.Add(new() { Value = row.TeamId });
        deactivate.Parameters.Add(new() { Value = row.Week.Monday });

        var insert = new NpgsqlBatchCommand("""
            insert into weekly_interpretations
                (org_id, team_id, week_start, input_hash, model_id, prompt_version, sections, tokens_in, tokens_out, is_active, run_id)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, $10)
            """);
        insert.Parameters.Add(new() { Value = row.OrgId });
        insert.Parameters.Add(new() { Value = row.TeamId });
        insert.Parameters.Add(new() { Value = row.Week.Monday });
        insert.Parameters.Add(new() { Value = row.InputHash });
        insert.Parameters.Add(new() { Value = row.ModelId });
        insert.Parameters.Add(new() { Value = row.PromptVersion });
        insert.Parameters.Add(new() { Value = row.Sections.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        insert.Parameters.Add(new() { Value = row.TokensIn, NpgsqlDbType = NpgsqlDbType.Bigint });
        insert.Parameters.Add(new() { Value = row.TokensOut, NpgsqlDbType = NpgsqlDbType.Bigint });
        insert.Parameters.Add(new() { Value = row.RunId });
        return [deactivate, insert];
    }
}
