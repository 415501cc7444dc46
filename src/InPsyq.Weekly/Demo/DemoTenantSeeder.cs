using System.Globalization;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Demo;

/// <summary>
/// Creates the demo tenant deterministically from a seed: the same seed and last week always give the same rows,
/// and seeding again adds nothing. Answers carry per-team trends so the series and attribution have something to say.
/// </summary>
public sealed class DemoTenantSeeder(NpgsqlDataSource dataSource)
{
    public async Task<string> SeedAsync(int seed, IsoWeek lastWeek, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var items = DemoTenant.Factors.SelectMany(factor => new[]
        {
            (Id: $"{factor}_agree", Factor: factor, Min: 1.0, Max: 5.0, Direction: "HIGHER_IS_MORE"),
            (Id: $"{factor}_reverse", Factor: factor, Min: 0.0, Max: 10.0, Direction: "HIGHER_IS_LESS"),
        }).ToArray();
        foreach (var item in items)
        {
            await ExecuteAsync(connection, transaction, "insert into measurement_items (item_id, factor, scale_min, scale_max, direction) values ($1, $2, $3, $4, $5) on conflict do nothing", [item.Id, item.Factor, item.Min, item.Max, item.Direction], cancellationToken);
        }

        var teamIds = new Dictionary<string, (Guid Org, Guid Team)>();
        var rows = new List<ResponseRow>();
        foreach (var (orgName, teams) in DemoTenant.Orgs)
        {
            var orgId = DemoTenant.IdOf(seed, "org", orgName);
            await ExecuteAsync(connection, transaction, "insert into orgs (org_id, name, min_respondents) values ($1, $2, 5) on conflict do nothing", [orgId, orgName], cancellationToken);
            foreach (var (teamName, respondents, archived, drift) in teams)
            {
                var teamId = DemoTenant.IdOf(seed, "team", teamName);
                teamIds[teamName] = (orgId, teamId);
                await ExecuteAsync(connection, transaction, "insert into teams (team_id, org_id, name, archived_at) values ($1, $2, $3, $4) on conflict do nothing", [teamId, orgId, teamName, archived ? new DateTimeOffset(lastWeek.AddWeeks(-4).Monday.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : DBNull.Value], cancellationToken);
                rows.AddRange(Answers(random, seed, orgId, teamId, teamName, respondents, drift, items, lastWeek));
            }
        }

        foreach (var (upstream, downstream, kind, weight) in DemoTenant.Dependencies)
        {
            await ExecuteAsync(connection, transaction, "insert into team_dependencies (org_id, upstream_team_id, downstream_team_id, kind, weight) values ($1, $2, $3, $4, $5) on conflict do nothing", [teamIds[upstream].Org, teamIds[upstream].Team, teamIds[downstream].Team, kind, weight], cancellationToken);
        }

        var inserted = await CopyResponsesAsync(connection, transaction, rows, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return string.Create(CultureInfo.InvariantCulture,
            $"Demo tenant (seed {seed}): {DemoTenant.Orgs.Length} orgs, {teamIds.Count} teams, {items.Length} items, {DemoTenant.Dependencies.Length} dependencies, {rows.Count} answers over {lastWeek.AddWeeks(1 - DemoTenant.Weeks).Label}..{lastWeek.Label} ({inserted} new).");
    }

    private static IEnumerable<ResponseRow> Answers(
        Random random, int seed, Guid orgId, Guid teamId, string teamName, int respondents, double drift,
        (string Id, string Factor, double Min, double Max, string Direction)[] items, IsoWeek lastWeek)
    {
        var teamBase = DemoTenant.Factors.ToDictionary(factor => factor, _ => 0.35 + (random.NextDouble() * 0.3));
        var people = Enumerable.Range(0, respondents).Select(i => DemoTenant.IdOf(seed, "respondent", $"{teamName}/{i}")).ToArray();
        for (var w = DemoTenant.Weeks - 1; w >= 0; w--)
        {
            var week = lastWeek.AddWeeks(-w);
            var elapsed = DemoTenant.Weeks - 1 - w;
            foreach (var person in people)
            {
                // Not everyone answers every week.
                if (random.NextDouble() < 0.08)
                {
                    continue;
                }

                foreach (var item in items)
                {
                    var level = teamBase[item.Factor] + (Trend(item.Factor) * drift * elapsed) + ((random.NextDouble() - 0.5) * 0.3);
                    var score = Math.Clamp(level, 0, 1);
                    var stored = item.Direction == "HIGHER_IS_LESS" ? 1 - score : score;
                    yield return new ResponseRow(DemoTenant.IdOf(0, "response", $"{person}/{week.Monday}/{item.Id}"), orgId, teamId, person, week.Monday, item.Id, Math.Round(item.Min + (stored * (item.Max - item.Min))));
                }
            }
        }
    }

    /// <summary>How a team's drift moves a factor: strain-like factors rise, resources fall.</summary>
    private static double Trend(string factor) => factor switch
    {
        "emotional_load" or "cognitive_dissonance" or "autonomy_friction" => 1.0,
        "control" or "engagement" or "meaning" or "psych_safety" => -0.8,
        _ => -0.3,
    };

    private static async Task<int> CopyResponsesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<ResponseRow> rows, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction, "create temporary table demo_responses (like measurement_responses including defaults) on commit drop", [], cancellationToken);
        await ResponseCopy.CopyAsync(connection, "demo_responses", rows, cancellationToken);

        await using var insert = new NpgsqlCommand(
            "insert into measurement_responses select * from demo_responses on conflict do nothing", connection, transaction);
        return await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, object[] parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
