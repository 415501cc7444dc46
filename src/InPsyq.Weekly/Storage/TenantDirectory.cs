using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Storage;

/// <summary>Read-only lookups of orgs and teams (source tables) for admitting and scoping a run.</summary>
public sealed class TenantDirectory(NpgsqlDataSource dataSource)
{
    public async Task<bool> OrgExistsAsync(Guid orgId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select exists (select 1 from orgs where org_id = $1)");
        command.Parameters.Add(new() { Value = orgId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The team's org and whether it is archived, or null when no such team exists.</summary>
    public async Task<(Guid OrgId, bool Archived)?> FindTeamAsync(Guid teamId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select org_id, archived_at is not null from teams where team_id = $1");
        command.Parameters.Add(new() { Value = teamId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetGuid(0), reader.GetBoolean(1)) : null;
    }

    /// <summary>The orgs in scope with their active teams, orgs in org_id order and teams in team_id order.</summary>
    public async Task<IReadOnlyList<OrgRef>> LoadScopeAsync(Guid? orgId, Guid? teamId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select o.org_id, o.name, o.min_respondents, t.team_id, t.name
            from orgs o
            left join teams t on t.org_id = o.org_id and t.archived_at is null and ($2::uuid is null or t.team_id = $2)
            where ($1::uuid is null or o.org_id = $1)
            order by o.org_id, t.team_id
            """);
        command.Parameters.Add(new() { Value = (object?)orgId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = (object?)teamId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });

        var orgs = new List<OrgRef>();
        List<TeamRef>? teams = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var org = reader.GetGuid(0);
            if (orgs.Count == 0 || orgs[^1].OrgId != org)
            {
                teams = [];
                orgs.Add(new OrgRef(org, reader.GetString(1), reader.GetInt32(2), teams));
            }

            if (!reader.IsDBNull(3))
            {
                teams!.Add(new TeamRef(reader.GetGuid(3), org, reader.GetString(4)));
            }
        }

        return orgs;
    }

    /// <summary>Whether any active team in scope has stored stage-2 output for the week (INTERPRETATION_ONLY needs it).</summary>
    public async Task<bool> HasPipelineOutputAsync(IsoWeek week, Guid? orgId, Guid? teamId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select exists (
                select 1 from team_series s
                join teams t on t.team_id = s.team_id and t.archived_at is null
                where s.week_start = $1 and ($2::uuid is null or t.org_id = $2) and ($3::uuid is null or t.team_id = $3))
            """);
        command.Parameters.Add(new() { Value = week.Monday });
        command.Parameters.Add(new() { Value = (object?)orgId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = (object?)teamId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
