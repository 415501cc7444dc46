using System.Globalization;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Bench;

/// <summary>The size of a generated tenant; the defaults give 500 teams and 1,000,000 responses per week.</summary>
internal sealed record BenchTenantShape(int Orgs = 5, int TeamsPerOrg = 100, int RespondentsPerTeam = 20, int Items = 100, int Weeks = 1)
{
    public int Teams => Orgs * TeamsPerOrg;

    public long ResponsesPerWeek => (long)Teams * RespondentsPerTeam * Items;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Orgs} orgs × {TeamsPerOrg} teams × {RespondentsPerTeam} respondents × {Items} items × {Weeks} week(s) = {ResponsesPerWeek * Weeks:N0} responses");
}

/// <summary>
/// Generates a large tenant deterministically (ids from counters, answers from a seeded <see cref="Random"/> per team):
/// every respondent answers every item every week; items cycle through the ten factors on a 1–5 scale, every other one
/// reversed; every fourth team depends on the team before it. Responses stream into the database with binary COPY.
/// </summary>
internal static class BenchTenant
{
    public static Guid OrgId(int org) => Id(1, org, 0, 0);

    public static Guid TeamId(int org, int team) => Id(2, org, team, 0);

    public static async Task<long> LoadAsync(NpgsqlDataSource dataSource, BenchTenantShape shape, IsoWeek lastWeek, CancellationToken cancellationToken)
    {
        var items = Enumerable.Range(0, shape.Items).Select(i => new Item(
            string.Create(CultureInfo.InvariantCulture, $"bench_item_{i:D4}"),
            WireName.Of(Enum.GetValues<Factor>()[i % 10]),
            Reversed: (i / 10) % 2 == 1)).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, "insert into measurement_items (item_id, factor, scale_min, scale_max, direction) select unnest($1::text[]), unnest($2::text[]), 1, 5, unnest($3::text[])",
            [items.Select(item => item.Id).ToArray(), items.Select(item => item.Factor).ToArray(), items.Select(item => item.Reversed ? "HIGHER_IS_LESS" : "HIGHER_IS_MORE").ToArray()], cancellationToken);

        var orgIds = Enumerable.Range(0, shape.Orgs).Select(OrgId).ToArray();
        var teams = orgIds.SelectMany((orgId, o) => Enumerable.Range(0, shape.TeamsPerOrg).Select(t => (Org: orgId, Team: TeamId(o, t), Index: t))).ToArray();
        await ExecuteAsync(connection, "insert into orgs (org_id, name, min_respondents) select id, 'Bench org ' || id, 5 from unnest($1::uuid[]) as id", [orgIds], cancellationToken);
        await ExecuteAsync(connection, "insert into teams (team_id, org_id, name) select t, o, 'Bench team ' || t from unnest($1::uuid[], $2::uuid[]) as x(t, o)",
            [teams.Select(team => team.Team).ToArray(), teams.Select(team => team.Org).ToArray()], cancellationToken);
        var edges = teams.Select((team, i) => (team.Org, Upstream: i > 0 ? teams[i - 1].Team : Guid.Empty, Downstream: team.Team, team.Index))
            .Where(edge => edge.Index > 0 && edge.Index % 4 == 0).ToArray();
        await ExecuteAsync(connection, "insert into team_dependencies (org_id, upstream_team_id, downstream_team_id, kind, weight) select o, u, d, 'process', 0.6 from unnest($1::uuid[], $2::uuid[], $3::uuid[]) as x(o, u, d)",
            [edges.Select(edge => edge.Org).ToArray(), edges.Select(edge => edge.Upstream).ToArray(), edges.Select(edge => edge.Downstream).ToArray()], cancellationToken);

        var copied = await ResponseCopy.CopyAsync(connection, "measurement_responses", Responses(shape, teams, items, lastWeek), cancellationToken);

        // As autovacuum would before a Monday run: statistics, and a visibility map for the index-only scans. Right after
        // the COPY the first vacuum leaves a varying share of pages (30–80 % measured) out of the visibility map; a second
        // one completes it, as later autovacuums would for a week of answers by Monday. Both stage 1's index-only scans and
        // the floors' sequential scans then read all-visible pages.
        await ExecuteAsync(connection, "vacuum (analyze) measurement_responses", [], cancellationToken);
        await ExecuteAsync(connection, "vacuum measurement_responses", [], cancellationToken);
        return (long)copied;
    }

    private static IEnumerable<ResponseRow> Responses(BenchTenantShape shape, (Guid Org, Guid Team, int Index)[] teams, Item[] items, IsoWeek lastWeek)
    {
        long response = 0;
        for (var t = 0; t < teams.Length; t++)
        {
            var (org, team, _) = teams[t];
#pragma warning disable CA5394 // Deterministic test data, not security.
            var random = new Random(t);
            var level = Enumerable.Range(0, 10).Select(_ => 0.3 + (random.NextDouble() * 0.4)).ToArray();
            for (var w = shape.Weeks - 1; w >= 0; w--)
            {
                var week = lastWeek.AddWeeks(-w).Monday;
                for (var r = 0; r < shape.RespondentsPerTeam; r++)
                {
                    var respondent = Id(3, t, r, 0);
                    for (var i = 0; i < items.Length; i++)
                    {
                        var score = Math.Clamp(level[i % 10] + ((random.NextDouble() - 0.5) * 0.5), 0, 1);
                        var stored = items[i].Reversed ? 1 - score : score;
                        yield return new ResponseRow(Id(4, (int)(response >> 16), (int)(response & 0xFFFF), 0), org, team, respondent, week, items[i].Id, Math.Round(1 + (stored * 4)));
                        response++;
                    }
                }
            }
#pragma warning restore CA5394
        }
    }

    /// <summary>A readable, ordered id: kind, then up to three counters (team_id order is creation order).</summary>
    private static Guid Id(int kind, int a, int b, int c) =>
        Guid.Parse(string.Create(CultureInfo.InvariantCulture, $"{kind:x2}{a:x6}-{b:x4}-4{c:x3}-8000-000000000000"));

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, object[] parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record Item(string Id, string Factor, bool Reversed);
}
