using Azure.Storage.Blobs.Models;
using InPsyq.Weekly.Attribution;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Storage;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static InPsyq.Weekly.Tests.Interpretation.InterpretationTestData;

namespace InPsyq.Weekly.Tests.Interpretation;

/// <summary>The active interpretation row of a team-week.</summary>
public sealed record StoredInterpretation(Guid Id, string ModelId, string InputHash, string PromptVersion, int TokensIn, int TokensOut, string Sections, Guid RunId);

/// <summary>
/// Drives stage 3 directly, as the orchestrator does: seeds stage-2 output (attribution blob with its metadata hash,
/// team_series and weekly_aggregates rows), takes the fence, builds an <see cref="OrgStageContext"/> and runs or plans teams.
/// </summary>
internal sealed class InterpretationHarness(IntegrationFixture fixture)
{
    private readonly TenantBuilder _tenants = new(fixture.DataSource);

    public List<string> Notes { get; } = [];

    public async Task<OrgRef> AddOrgAsync(int teams)
    {
        var (orgId, teamIds) = await _tenants.AddOrgAsync(teams);
        return new OrgRef(orgId, "Org", 5, [.. teamIds.Select((teamId, i) => new TeamRef(teamId, orgId, $"Team {i + 1}"))]);
    }

    public ServiceProvider Services(IReadOnlyDictionary<string, string?>? overrides = null) => fixture.CreateServices(overrides);

    /// <param name="server">The fake endpoint.</param>
    /// <param name="concurrency"><c>LLM_MAX_CONCURRENCY</c>.</param>
    /// <param name="fallback"><c>LLM_FALLBACK_TO_OFFLINE</c>.</param>
    /// <param name="timeoutSeconds"><c>LLM_TIMEOUT_SECONDS</c>: short for fault tests, longer for whole runs on a loaded machine.</param>
    public static Dictionary<string, string?> LlmSettings(FakeOpenAIServer server, int concurrency = 3, bool fallback = false, int timeoutSeconds = 1) => new()
    {
        ["AZURE_OPENAI_ENDPOINT"] = server.Endpoint.ToString(),
        ["AZURE_OPENAI_DEPLOYMENT"] = "gpt-test",
        ["AZURE_OPENAI_API_KEY"] = "test-key-not-a-secret",
        ["LLM_TIMEOUT_SECONDS"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["LLM_MAX_ATTEMPTS"] = "3",
        ["LLM_MAX_RETRY_AFTER_SECONDS"] = "1",
        ["LLM_RETRY_DELAY_SECONDS"] = "0.02",
        ["LLM_MAX_CONCURRENCY"] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["LLM_FALLBACK_TO_OFFLINE"] = fallback ? "true" : "false",
    };

    /// <summary>Stage-2 output of one team-week, as stage 2 stores it.</summary>
    public async Task SeedAsync(TeamRef team, string hash, Guid? upstream = null, string? seriesHash = null)
    {
        var blob = fixture.BlobService.GetBlobContainerClient(fixture.AttributionContainer)
            .GetBlobClient(AttributionBlobs.PathOf(team.OrgId, Week, team.TeamId));
        await blob.UploadAsync(BinaryData.FromString(Serialize(Document(team.OrgId, team.TeamId, Week, hash, upstream))), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            Metadata = new Dictionary<string, string> { ["input_hash"] = hash },
        });
        await SeedSeriesAsync(team, seriesHash ?? hash);
        await ExecuteAsync("""
            insert into weekly_aggregates (team_id, week_start, org_id, respondents, responses, suppressed, compute_version, input_hash, run_id)
            values ($1, $2, $3, 8, 80, false, 'test', 'agg', gen_random_uuid()),
                   ($1, $4, $3, 2, 20, true, 'test', 'agg', gen_random_uuid())
            on conflict do nothing
            """, team.TeamId, Week.Monday, team.OrgId, Week.AddWeeks(-3).Monday);
    }

    public Task SeedSeriesAsync(TeamRef team, string hash) => ExecuteAsync("""
        insert into team_series (team_id, week_start, index_name, org_id, volatility, points, regime, stability, coverage_weeks, compute_version, input_hash, run_id)
        select $1, $2, index_name, $3, 0.01, (select jsonb_agg(jsonb_build_object('week_start', null)) from generate_series(1, 12)),
               'EMERGING', 'MED', 10, 'test', $4, gen_random_uuid()
        from unnest(array['strain', 'trust_gap']) as index_name
        on conflict (team_id, week_start, index_name) do update set input_hash = excluded.input_hash
        """, team.TeamId, Week.Monday, team.OrgId, hash);

    /// <summary>An active row as an earlier run would have left it.</summary>
    public Task InsertActiveAsync(TeamRef team, string inputHash, string modelId = "earlier-model") => ExecuteAsync("""
        insert into weekly_interpretations (org_id, team_id, week_start, input_hash, model_id, prompt_version, sections, run_id)
        values ($1, $2, $3, $4, $5, 'prompt-v0', '{"earlier": true}', gen_random_uuid())
        """, team.OrgId, team.TeamId, Week.Monday, inputHash, modelId);

    public async Task<OrgStageContext> ContextAsync(IServiceProvider services, OrgRef org, bool force = false, OrgProgress? progress = null)
    {
        var fences = services.GetRequiredService<LockFences>();
        var runId = Guid.NewGuid();
        await fences.TakeAsync(Week, org.OrgId, runId, CancellationToken.None);
        return new OrgStageContext(runId, Week, org, force, progress ?? new OrgProgress(org), fences.For(Week, org.OrgId, runId), note => { lock (Notes) { Notes.Add(note); } });
    }

    public async Task<StageOutcome> RunAsync(IServiceProvider services, OrgRef org, TeamRef team, bool force = false)
    {
        var stage = Stage(services);
        var orgStage = await stage.BeginOrgAsync(await ContextAsync(services, org, force), CancellationToken.None);
        return await orgStage.RunTeamAsync(team, CancellationToken.None);
    }

    public static IPipelineStage Stage(IServiceProvider services) =>
        services.GetServices<IPipelineStage>().Single(stage => stage.Stage == PipelineStage.Interpretation);

    public async Task<StoredInterpretation?> ActiveAsync(Guid teamId)
    {
        await using var command = fixture.DataSource.CreateCommand("""
            select id, model_id, input_hash, prompt_version, tokens_in, tokens_out, sections::text, run_id
            from weekly_interpretations where team_id = $1 and week_start = $2 and is_active
            """);
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = Week.Monday });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync()
            ? new StoredInterpretation(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                reader.GetInt32(5), reader.GetString(6), reader.GetGuid(7))
            : null;
    }

    public async Task<long> RowCountAsync(Guid teamId)
    {
        await using var command = fixture.DataSource.CreateCommand("select count(*) from weekly_interpretations where team_id = $1");
        command.Parameters.Add(new() { Value = teamId });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql, params object[] values)
    {
        await using var command = fixture.DataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }
}
