using Npgsql;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>Inserts small tenants (orgs and teams) for tests; ids ascend in insertion order so team_id order is predictable.</summary>
public sealed class TenantBuilder(NpgsqlDataSource dataSource)
{
    private int _sequence;

    public async Task<(Guid OrgId, List<Guid> TeamIds)> AddOrgAsync(int teams, int minRespondents = 5)
    {
        var orgId = NextId();
        await ExecuteAsync("insert into orgs (org_id, name, min_respondents) values ($1, $2, $3)", orgId, $"Org {orgId:N}", minRespondents);
        var teamIds = new List<Guid>();
        for (var i = 0; i < teams; i++)
        {
            var teamId = NextId();
            await ExecuteAsync("insert into teams (team_id, org_id, name) values ($1, $2, $3)", teamId, orgId, $"Team {i + 1}");
            teamIds.Add(teamId);
        }

        return (orgId, teamIds);
    }

    public Task ArchiveAsync(Guid teamId) => ExecuteAsync("update teams set archived_at = now() where team_id = $1", teamId);

    /// <summary>Stage-2 output as INTERPRETATION_ONLY needs it (one team_series row for the week).</summary>
    public Task AddSeriesRowAsync(Guid orgId, Guid teamId, DateOnly week) => ExecuteAsync("""
        insert into team_series (team_id, week_start, index_name, org_id, volatility, points, regime, stability, coverage_weeks, compute_version, input_hash, run_id, computed_at)
        values ($1, $2, 'strain', $3, 0, (select jsonb_agg(jsonb_build_object('week_start', null)) from generate_series(1, 12)), 'NOISE', 'LOW', 1, 'test', 'hash', gen_random_uuid(), now())
        """, teamId, week, orgId);

    private Guid NextId() => Guid.Parse($"{Interlocked.Increment(ref _sequence):D8}-0000-4000-8000-{Random.Shared.NextInt64(0, 0xFFFFFFFFFFFF):x12}");

    private async Task ExecuteAsync(string sql, params object[] values)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }
}
