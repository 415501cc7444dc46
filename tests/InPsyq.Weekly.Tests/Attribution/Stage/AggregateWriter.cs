using System.Text.Json;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Tests.Attribution.Stage;

/// <summary>
/// Writes <c>weekly_aggregates</c> rows the way stage 1 stores them (docs/domain.md, Stage 1), so that stage 2 is tested
/// without stage 1: factors <c>{factor: {mean, sd, n, se}}</c>, indices <c>{index: {value, sigma, state}}</c>,
/// and <c>'{}'</c> for both when suppressed.
/// </summary>
public sealed class AggregateWriter(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Factor means that put every index at <paramref name="level"/> on its "worse" side: strain, withdrawal_risk and
    /// trust_gap equal the level, engagement equals 1 − level.
    /// </summary>
    public static Dictionary<Factor, double> AtLevel(double level) => new()
    {
        [Factor.EmotionalLoad] = level,
        [Factor.CognitiveDissonance] = level,
        [Factor.AutonomyFriction] = level,
        [Factor.Control] = 1 - level,
        [Factor.Meaning] = 1 - level,
        [Factor.Engagement] = 1 - level,
        [Factor.TrustLeadership] = 1 - level,
        [Factor.TrustPeers] = 1 - level,
        [Factor.PsychSafety] = 1 - level,
        [Factor.AdaptiveCapacity] = 1 - level,
    };

    public static string DefaultHash(Guid teamId, IsoWeek week) => $"stage1:{teamId:N}:{week}";

    public Task WriteAsync(Guid orgId, Guid teamId, IsoWeek week, double level, string? hash = null, int respondents = 10) =>
        WriteAsync(orgId, teamId, week, AtLevel(level), hash, respondents);

    public Task WriteAsync(Guid orgId, Guid teamId, IsoWeek week, IReadOnlyDictionary<Factor, double> means, string? hash = null, int respondents = 10)
    {
        var stats = means.ToDictionary(factor => factor.Key, factor => new FactorStats(factor.Value, 0.1, respondents, 0.1 / Math.Sqrt(respondents)));
        var factors = stats.ToDictionary(factor => WireName.Of(factor.Key), factor => factor.Value);
        var indices = IndexCalculator.ComputeAll(stats).ToDictionary(index => WireName.Of(index.Key), index => index.Value);
        return UpsertAsync(
            orgId, teamId, week, respondents, suppressed: false,
            JsonSerializer.Serialize(factors, WeeklyJson.Options), JsonSerializer.Serialize(indices, WeeklyJson.Options), hash);
    }

    public Task WriteSuppressedAsync(Guid orgId, Guid teamId, IsoWeek week, string? hash = null) =>
        UpsertAsync(orgId, teamId, week, respondents: 2, suppressed: true, "{}", "{}", hash);

    public async Task SetHashAsync(Guid teamId, IsoWeek week, string hash)
    {
        await using var command = dataSource.CreateCommand("update weekly_aggregates set input_hash = $3 where team_id = $1 and week_start = $2");
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = week.Monday });
        command.Parameters.Add(new() { Value = hash });
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private async Task UpsertAsync(
        Guid orgId, Guid teamId, IsoWeek week, int respondents, bool suppressed, string factors, string indices, string? hash)
    {
        await using var command = dataSource.CreateCommand("""
            insert into weekly_aggregates (team_id, week_start, org_id, respondents, responses, suppressed, factors, indices,
                                           compute_version, input_hash, run_id)
            values ($1, $2, $3, $4, $4 * 10, $5, $6::jsonb, $7::jsonb, 'compute-v1', $8, gen_random_uuid())
            on conflict (team_id, week_start) do update set
                respondents = excluded.respondents, responses = excluded.responses, suppressed = excluded.suppressed,
                factors = excluded.factors, indices = excluded.indices, input_hash = excluded.input_hash
            """);
        foreach (var value in new object[] { teamId, week.Monday, orgId, respondents, suppressed, factors, indices, hash ?? DefaultHash(teamId, week) })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }
}
