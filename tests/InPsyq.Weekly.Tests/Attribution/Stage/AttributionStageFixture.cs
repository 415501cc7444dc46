using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Attribution.Stage;

/// <summary>One <c>team_series</c> row as stored, with its <c>xmin</c> to detect rewrites.</summary>
public sealed record StoredSeries(
    string Index, double? Value, double? Z, double? Delta, string? Trend, double Volatility, JsonArray Points,
    string Regime, string Stability, int CoverageWeeks, string InputHash, Guid RunId, string Xmin);

/// <summary>A stored attribution blob: the document and the blob's properties.</summary>
public sealed record StoredDocument(string Name, JsonObject Document, BlobProperties Properties);

/// <summary>
/// Stage 2 as the orchestrator drives it (fence taken, stage-1 results recorded), against a database and blob
/// container of its own. Tests give every case its own org, so they do not see each other's rows.
/// </summary>
public sealed class AttributionStageFixture : IntegrationFixture
{
    public static IsoWeek Week { get; } = IsoWeek.FromMonday(new DateOnly(2025, 3, 3));

    public IPipelineStage Stage { get; private set; } = null!;

    public LockFences Fences { get; private set; } = null!;

    public TenantBuilder Tenants { get; private set; } = null!;

    public AggregateWriter Aggregates { get; private set; } = null!;

    public BlobContainerClient Attribution => BlobService.GetBlobContainerClient(AttributionContainer);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var services = CreateServices();
        Stage = services.GetServices<IPipelineStage>().Single(stage => stage.Stage == PipelineStage.Attribution);
        Fences = services.GetRequiredService<LockFences>();
        Tenants = new TenantBuilder(DataSource);
        Aggregates = new AggregateWriter(DataSource);
    }

    /// <summary>A stage-1 result of this run; by default every team's stage 1 succeeded.</summary>
    public static TeamStageResult RollupResult(StageOutcome outcome, StagePlan? plan = null) => new(PipelineStage.Rollup, outcome, 0, plan);

    /// <summary>Takes the org's fence for a new run and begins stage 2 for the given (active, in-scope) teams.</summary>
    public async Task<OrgRun> BeginAsync(
        Guid orgId, IReadOnlyList<Guid> teamIds, bool force = false, IReadOnlyDictionary<Guid, TeamStageResult>? rollup = null)
    {
        var runId = Guid.NewGuid();
        await Fences.TakeAsync(Week, orgId, runId, CancellationToken.None);
        var org = new OrgRef(orgId, "Org", 5, [.. teamIds.Select((teamId, i) => new TeamRef(teamId, orgId, $"Team {i + 1}"))]);
        var progress = new OrgProgress(org);
        foreach (var team in org.Teams)
        {
            progress.Record(team, rollup?.GetValueOrDefault(team.TeamId) ?? RollupResult(StageOutcome.Written()));
        }

        var notes = new List<string>();
        var context = new OrgStageContext(runId, Week, org, force, progress, Fences.For(Week, org.OrgId, runId), notes.Add);
        return new OrgRun(context, await Stage.BeginOrgAsync(context, CancellationToken.None), notes);
    }

    public async Task AddEdgeAsync(Guid orgId, Guid upstream, Guid downstream, string kind = "process", double weight = 1)
    {
        await using var command = DataSource.CreateCommand("""
            insert into team_dependencies (org_id, upstream_team_id, downstream_team_id, kind, weight) values ($1, $2, $3, $4, $5::numeric)
            """);
        foreach (var value in new object[] { orgId, upstream, downstream, kind, weight })
        {
            command.Parameters.Add(new() { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The team's rows of <see cref="Week"/>, in index order of the table.</summary>
    public async Task<List<StoredSeries>> ReadSeriesAsync(Guid teamId)
    {
        await using var command = DataSource.CreateCommand("""
            select index_name, value, z, delta, trend, volatility, points::text, regime, stability, coverage_weeks, input_hash, run_id, xmin::text
            from team_series where team_id = $1 and week_start = $2
            order by array_position(array['strain', 'withdrawal_risk', 'trust_gap', 'engagement'], index_name)
            """);
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = Week.Monday });
        var rows = new List<StoredSeries>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new StoredSeries(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetDouble(1),
                reader.IsDBNull(2) ? null : reader.GetDouble(2),
                reader.IsDBNull(3) ? null : reader.GetDouble(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetDouble(5),
                JsonNode.Parse(reader.GetString(6))!.AsArray(),
                reader.GetString(7),
                reader.GetString(8),
                reader.GetInt32(9),
                reader.GetString(10),
                reader.GetGuid(11),
                reader.GetString(12)));
        }

        return rows;
    }

    /// <summary>The team's attribution blob of <see cref="Week"/>, or null when there is none.</summary>
    public async Task<StoredDocument?> ReadDocumentAsync(Guid orgId, Guid teamId)
    {
        var name = $"{orgId:D}/{Week}/{teamId:D}.json";
        var blob = Attribution.GetBlobClient(name);
        if (!await blob.ExistsAsync())
        {
            return null;
        }

        var content = await blob.DownloadContentAsync();
        return new StoredDocument(name, JsonNode.Parse(content.Value.Content.ToString())!.AsObject(), (await blob.GetPropertiesAsync()).Value);
    }

    public async Task<Guid> AddActiveInterpretationAsync(Guid orgId, Guid teamId)
    {
        await using var command = DataSource.CreateCommand("""
            insert into weekly_interpretations (org_id, team_id, week_start, input_hash, model_id, prompt_version, sections, run_id)
            values ($1, $2, $3, 'interpretation-hash', 'offline-v1', 'prompt-v1', '{}'::jsonb, gen_random_uuid())
            returning id
            """);
        command.Parameters.Add(new() { Value = orgId });
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = Week.Monday });
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    public async Task<bool> IsInterpretationActiveAsync(Guid id)
    {
        await using var command = DataSource.CreateCommand("select is_active from weekly_interpretations where id = $1");
        command.Parameters.Add(new() { Value = id });
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}

/// <summary>Stage 2 begun for one org in one run.</summary>
public sealed record OrgRun(OrgStageContext Context, IOrgStage Stage, List<string> Notes)
{
    public Guid RunId => Context.RunId;

    public Task<StageOutcome> RunAsync(Guid teamId, CancellationToken cancellationToken = default) =>
        Stage.RunTeamAsync(Team(teamId), cancellationToken);

    public Task<StagePlan> PlanAsync(Guid teamId) => Stage.PlanTeamAsync(Team(teamId), CancellationToken.None);

    /// <summary>Runs every team in team_id order, as the orchestrator's window would.</summary>
    public async Task<List<StageOutcome>> RunAllAsync()
    {
        var outcomes = new List<StageOutcome>();
        foreach (var team in Context.Org.Teams)
        {
            outcomes.Add(await Stage.RunTeamAsync(team, CancellationToken.None));
        }

        return outcomes;
    }

    private TeamRef Team(Guid teamId) => Context.Org.Teams.Single(team => team.TeamId == teamId);
}
