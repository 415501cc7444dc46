using System.Text.Json;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Rollup;
using InPsyq.Weekly.Scoring;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Tests.Rollup;

/// <summary>A measurement item as the tests define it.</summary>
public sealed record TestItem(string Id, string Factor, decimal Min, decimal Max, string Direction = "HIGHER_IS_MORE");

/// <summary>One answer: respondent, item, value (null is an invalid answer).</summary>
public sealed record Answer(Guid Respondent, string Item, decimal? Value);

/// <summary>A stored <c>weekly_aggregates</c> row, with its row version (<c>xmin</c>).</summary>
public sealed record StoredAggregate(
    Guid OrgId, int Respondents, int Responses, bool Suppressed, JsonElement Factors, JsonElement Indices,
    string ComputeVersion, string InputHash, Guid RunId, DateTimeOffset ComputedAt, string RowVersion);

/// <summary>
/// Drives stage 1 directly against one test database: items, answers, a fenced run of one team (as the orchestrator
/// would, with a fresh run id that holds the org's fence), and the stored row.
/// </summary>
public sealed class RollupHarness(NpgsqlDataSource dataSource)
{
    public static readonly IsoWeek Week = IsoWeek.FromMonday(new DateOnly(2025, 11, 10));

    private readonly LockFences _fences = new(dataSource);
    private readonly TenantDirectory _tenants = new(dataSource);

    public async Task AddItemsAsync(params TestItem[] items)
    {
        foreach (var item in items)
        {
            await ExecuteAsync(
                "insert into measurement_items (item_id, factor, scale_min, scale_max, direction) values ($1, $2, $3, $4, $5)",
                item.Id, item.Factor, item.Min, item.Max, item.Direction);
        }
    }

    /// <summary>Inserts the answers one statement each, in the given order (so tests control the physical order).</summary>
    public async Task AddAnswersAsync(Guid orgId, Guid teamId, IEnumerable<Answer> answers, IsoWeek? week = null)
    {
        foreach (var answer in answers)
        {
            await ExecuteAsync(
                "insert into measurement_responses (org_id, team_id, respondent_id, week_start, item_id, value) values ($1, $2, $3, $4, $5, $6)",
                orgId, teamId, answer.Respondent, (week ?? Week).Monday, answer.Item, (object?)answer.Value ?? DBNull.Value);
        }
    }

    public async Task<OrgStageContext> ContextAsync(Guid orgId, bool force = false, Guid? runId = null)
    {
        var org = (await _tenants.LoadScopeAsync(orgId, null, CancellationToken.None)).Single();
        var run = runId ?? Guid.CreateVersion7();
        await _fences.TakeAsync(Week, orgId, run, CancellationToken.None);
        return new OrgStageContext(run, Week, org, force, new OrgProgress(org), _fences.For(Week, org.OrgId, run), _ => { });
    }

    public async Task<StageOutcome> RunAsync(RollupStage stage, Guid orgId, Guid teamId, bool force = false)
    {
        var context = await ContextAsync(orgId, force);
        var orgStage = await stage.BeginOrgAsync(context, CancellationToken.None);
        return await orgStage.RunTeamAsync(context.Org.Teams.Single(team => team.TeamId == teamId), CancellationToken.None);
    }

    public async Task<StagePlan> PlanAsync(RollupStage stage, Guid orgId, Guid teamId, bool force = false)
    {
        var org = (await _tenants.LoadScopeAsync(orgId, null, CancellationToken.None)).Single();
        var runId = Guid.CreateVersion7();
        var context = new OrgStageContext(runId, Week, org, force, new OrgProgress(org), _fences.For(Week, org.OrgId, runId), _ => { });
        var orgStage = await stage.BeginOrgAsync(context, CancellationToken.None);
        return await orgStage.PlanTeamAsync(org.Teams.Single(team => team.TeamId == teamId), CancellationToken.None);
    }

    public async Task<StoredAggregate?> ReadAsync(Guid teamId)
    {
        await using var command = dataSource.CreateCommand("""
            select org_id, respondents, responses, suppressed, factors::text, indices::text, compute_version, input_hash,
                   run_id, computed_at, xmin::text
            from weekly_aggregates where team_id = $1 and week_start = $2
            """);
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = Week.Monday });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        return new StoredAggregate(
            reader.GetGuid(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetBoolean(3),
            JsonDocument.Parse(reader.GetString(4)).RootElement.Clone(), JsonDocument.Parse(reader.GetString(5)).RootElement.Clone(),
            reader.GetString(6), reader.GetString(7), reader.GetGuid(8), reader.GetFieldValue<DateTimeOffset>(9), reader.GetString(10));
    }

    public async Task ExecuteAsync(string sql, params object?[] values)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// The pure C# reference of the same rollup: <see cref="StandardScore"/> per answer, the mean per respondent and
    /// factor, <see cref="FactorStatistics"/> per factor (respondents in respondent_id order), factors below the
    /// minimum left out.
    /// </summary>
    public static Dictionary<Factor, FactorStats> Reference(IEnumerable<Answer> answers, IEnumerable<TestItem> items, int minRespondents)
    {
        var byId = items.ToDictionary(item => item.Id);
        return answers
            .Select(answer => (answer.Respondent, Item: byId[answer.Item], answer.Value))
            .GroupBy(answer => (answer.Respondent, Factor: WireName.Parse<Factor>(answer.Item.Factor)))
            .Select(group => (group.Key.Respondent, group.Key.Factor, Score: group.Average(answer => StandardScore.Compute(
                answer.Item.Id, (double?)answer.Value, (double)answer.Item.Min, (double)answer.Item.Max,
                WireName.Parse<ItemDirection>(answer.Item.Direction)).Score!.Value)))
            .GroupBy(score => score.Factor)
            .Where(group => group.Count() >= minRespondents)
            .ToDictionary(
                group => group.Key,
                group => FactorStatistics.Compute([.. group.OrderBy(score => score.Respondent.ToString("D"), StringComparer.Ordinal).Select(score => score.Score)]));
    }
}
