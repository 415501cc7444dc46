using System.Text.Json;
using InPsyq.Weekly.Attribution.Computation;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Attribution;

/// <summary>What stage 2 reads of one org and week, in one round trip.</summary>
/// <param name="Aggregates">The stage-1 rows of the org's active teams over the series window.</param>
/// <param name="Edges">Every edge of the org or into one of its teams, valid or not.</param>
/// <param name="Teams">The teams the edges name, for validation.</param>
/// <param name="SeriesHashes">Per team, the <c>input_hash</c> of each of its <c>team_series</c> rows of the week.</param>
internal sealed record OrgAttributionInputs(
    IReadOnlyList<StoredAggregate> Aggregates,
    IReadOnlyList<DependencyEdge> Edges,
    IReadOnlyDictionary<Guid, TeamMembership> Teams,
    IReadOnlyDictionary<Guid, IReadOnlyList<string>> SeriesHashes);

/// <summary>Stage 2's Postgres reads and its fenced writes of <c>team_series</c>.</summary>
internal sealed class AttributionStore(NpgsqlDataSource dataSource)
{
    public async Task<OrgAttributionInputs> LoadAsync(Guid orgId, IsoWeek week, IsoWeek windowStart, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command("""
            select a.team_id, a.week_start, a.respondents, a.suppressed, a.factors::text, a.indices::text, a.input_hash
            from weekly_aggregates a
            join teams t on t.team_id = a.team_id and t.org_id = $1 and t.archived_at is null
            where a.week_start between $2 and $3
            """, orgId, windowStart.Monday, week.Monday));
        batch.BatchCommands.Add(Command("""
            select e.org_id, e.upstream_team_id, e.downstream_team_id, e.kind, e.weight::float8,
                   u.org_id, u.archived_at is not null, d.org_id, d.archived_at is not null
            from team_dependencies e
            left join teams u on u.team_id = e.upstream_team_id
            left join teams d on d.team_id = e.downstream_team_id
            where e.org_id = $1 or d.org_id = $1
            """, orgId));
        batch.BatchCommands.Add(Command(
            "select team_id, input_hash from team_series where org_id = $1 and week_start = $2",
            orgId, week.Monday));

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var aggregates = new List<StoredAggregate>();
        while (await reader.ReadAsync(cancellationToken))
        {
            aggregates.Add(new StoredAggregate(
                reader.GetGuid(0),
                reader.GetFieldValue<DateOnly>(1),
                reader.GetInt32(2),
                reader.GetBoolean(3),
                StoredAggregate.ParseFactorMeans(reader.GetString(4)),
                StoredAggregate.ParseIndexValues(reader.GetString(5)),
                reader.GetString(6)));
        }

        await reader.NextResultAsync(cancellationToken);
        var edges = new List<DependencyEdge>();
        var teams = new Dictionary<Guid, TeamMembership>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var edge = new DependencyEdge(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), WireName.Parse<DependencyKind>(reader.GetString(3)), reader.GetDouble(4));
            edges.Add(edge);
            if (!reader.IsDBNull(5))
            {
                teams[edge.UpstreamTeamId] = new TeamMembership(edge.UpstreamTeamId, reader.GetGuid(5), reader.GetBoolean(6));
            }

            if (!reader.IsDBNull(7))
            {
                teams[edge.DownstreamTeamId] = new TeamMembership(edge.DownstreamTeamId, reader.GetGuid(7), reader.GetBoolean(8));
            }
        }

        await reader.NextResultAsync(cancellationToken);
        var seriesHashes = new Dictionary<Guid, List<string>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var teamId = reader.GetGuid(0);
            if (!seriesHashes.TryGetValue(teamId, out var hashes))
            {
                seriesHashes[teamId] = hashes = [];
            }

            hashes.Add(reader.GetString(1));
        }

        return new OrgAttributionInputs(
            aggregates, edges, teams, seriesHashes.ToDictionary(team => team.Key, team => (IReadOnlyList<string>)team.Value));
    }

    /// <summary>Upserts the team's rows of every index in one fenced write.</summary>
    public static async Task WriteSeriesAsync(
        OrgStageContext context, Guid teamId, string inputHash, IReadOnlyList<TeamSeriesRow> rows, DateTimeOffset computedAt, CancellationToken cancellationToken)
    {
        var upsert = Command("""
            insert into team_series (team_id, week_start, index_name, org_id, value, z, delta, trend, volatility, points,
                                     regime, stability, coverage_weeks, compute_version, input_hash, run_id, computed_at)
            select $1, $2, r.index_name, $3, r.value, r.z, r.delta, r.trend, r.volatility, r.points::jsonb,
                   r.regime, r.stability, r.coverage_weeks, $4, $5, $6, $7
            from unnest($8::text[], $9::float8[], $10::float8[], $11::float8[], $12::text[], $13::float8[], $14::text[],
                        $15::text[], $16::text[], $17::int[])
                 as r(index_name, value, z, delta, trend, volatility, points, regime, stability, coverage_weeks)
            on conflict (team_id, week_start, index_name) do update set
                org_id = excluded.org_id, value = excluded.value, z = excluded.z, delta = excluded.delta,
                trend = excluded.trend, volatility = excluded.volatility, points = excluded.points,
                regime = excluded.regime, stability = excluded.stability, coverage_weeks = excluded.coverage_weeks,
                compute_version = excluded.compute_version, input_hash = excluded.input_hash,
                run_id = excluded.run_id, computed_at = excluded.computed_at
            """,
            teamId,
            context.Week.Monday,
            context.Org.OrgId,
            PipelineVersions.Compute,
            inputHash,
            context.RunId,
            computedAt,
            rows.Select(row => WireName.Of(row.Index)).ToArray(),
            rows.Select(row => row.Value).ToArray(),
            rows.Select(row => row.Z).ToArray(),
            rows.Select(row => row.Delta).ToArray(),
            rows.Select(row => row.Trend is { } trend ? WireName.Of(trend) : null).ToArray(),
            rows.Select(row => row.Volatility).ToArray(),
            rows.Select(row => JsonSerializer.Serialize(row.Points, WeeklyJson.Options)).ToArray(),
            rows.Select(row => WireName.Of(row.Regime)).ToArray(),
            rows.Select(row => WireName.Of(row.Stability)).ToArray(),
            rows.Select(row => row.CoverageWeeks).ToArray());
        await context.Fence.WriteAsync([upsert], cancellationToken);
    }

    /// <summary>A suppressed team-week: deletes its <c>team_series</c> rows and deactivates its interpretation, fenced.</summary>
    public static async Task DeleteSuppressedAsync(OrgStageContext context, Guid teamId, CancellationToken cancellationToken)
    {
        var delete = Command("""
            with deleted as (delete from team_series where team_id = $1 and week_start = $2)
            update weekly_interpretations set is_active = false where team_id = $1 and week_start = $2 and is_active
            """, teamId, context.Week.Monday);
        await context.Fence.WriteAsync([delete], cancellationToken);
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
