using System.Text.Json.Nodes;
using InPsyq.Weekly.Hashing;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Tests.Infrastructure;
using static InPsyq.Weekly.Tests.Interpretation.InterpretationTestData;

namespace InPsyq.Weekly.Tests.Interpretation;

/// <summary>Stage 3 with Azure OpenAI over real HTTP: the SDK, the resilience pipeline and a fake endpoint on a loopback port.</summary>
[Collection(RealTimeTests.Name)]
public sealed class AzureOpenAIStageTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>, IAsyncLifetime
{
    private readonly InterpretationHarness _harness = new(fixture);
    private FakeOpenAIServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_valid_completion_is_stored_active_with_its_tokens()
    {
        var (org, team) = await SeededTeamAsync(withUpstream: true);
        var sections = ValidSections(upstreamLabel: "Team 2");
        sections["primary_drivers"]!["internal"]!.AsArray().RemoveAt(1);
        _server.Script(FakeReply.Completion(sections.ToJsonString(), promptTokens: 321, completionTokens: 123));

        var outcome = await _harness.RunAsync(_harness.Services(InterpretationHarness.LlmSettings(_server)), org, team);

        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        Assert.True(outcome.Wrote);
        Assert.Equal((321, 123, 1), (outcome.TokensIn, outcome.TokensOut, outcome.LlmCalls));
        var row = await _harness.ActiveAsync(team.TeamId);
        Assert.NotNull(row);
        Assert.Equal(("gpt-test", 321, 123, PipelineVersions.Prompt), (row.ModelId, row.TokensIn, row.TokensOut, row.PromptVersion));
        Assert.Equal(StageInputHashes.Interpretation("attr-1", PipelineVersions.Prompt, "gpt-test", PipelineVersions.InterpretationSchema), row.InputHash);
        Assert.DoesNotContain(InterpretationStage.OfflineNote, _harness.Notes);

        var request = Assert.Single(_server.Requests);
        Assert.True(JsonNode.DeepEquals(sections, JsonNode.Parse(row.Sections)));
        Assert.Equal(("gpt-test", "test-key-not-a-secret"), (request.Deployment, request.ApiKey));
        var format = request.Body["response_format"]!;
        Assert.Equal("json_schema", (string)format["type"]!);
        Assert.True((bool)format["json_schema"]!["strict"]!);
        var labels = format["json_schema"]!["schema"]!["properties"]!["primary_drivers"]!["properties"]!;
        Assert.Equal(["emotional_load"], labels["internal"]!["items"]!["properties"]!["label"]!["enum"]!.AsArray().Select(label => (string)label!));
        Assert.Equal(["Team 2"], labels["external"]!["items"]!["properties"]!["label"]!["enum"]!.AsArray().Select(label => (string)label!));
    }

    [Fact]
    public async Task A_429_with_retry_after_is_waited_for_and_retried()
    {
        var (org, team) = await SeededTeamAsync();
        _server.Script(FakeReply.Error(429, retryAfter: "1"));

        var outcome = await _harness.RunAsync(_harness.Services(InterpretationHarness.LlmSettings(_server)), org, team);

        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        var requests = _server.Requests.ToList();
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromMilliseconds(900), "the retry must honour Retry-After: 1");
    }

    [Fact]
    public async Task A_500_is_retried()
    {
        var (org, team) = await SeededTeamAsync();
        _server.Script(FakeReply.Error(500));

        var outcome = await _harness.RunAsync(_harness.Services(InterpretationHarness.LlmSettings(_server)), org, team);

        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task A_slow_attempt_times_out_and_is_retried()
    {
        var (org, team) = await SeededTeamAsync();
        _server.Script(FakeReply.Completion(ValidSectionsJson(withDrivers: false)) with { Delay = TimeSpan.FromSeconds(3) });

        var outcome = await _harness.RunAsync(_harness.Services(InterpretationHarness.LlmSettings(_server)), org, team);

        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task Persistent_failures_use_at_most_the_configured_attempts()
    {
        var (org, team) = await SeededTeamAsync();
        _server.Default = FakeReply.Error(503);

        var outcome = await _harness.RunAsync(_harness.Services(InterpretationHarness.LlmSettings(_server)), org, team);

        Assert.Equal((StageStatus.Failed, InterpretationFailedException.LlmUnavailable), (outcome.Status, outcome.ErrorCode));
        Assert.Equal(3, _server.Requests.Count);
        Assert.DoesNotContain("test-key-not-a-secret", outcome.ErrorMessage, StringComparison.Ordinal);
        Assert.Null(await _harness.ActiveAsync(team.TeamId));
    }

    [Fact]
    public async Task A_retry_after_above_the_maximum_fails_the_team_at_once()
    {
        var (org, team) = await SeededTeamAsync();
        // A 429's Retry-After goes to the quota governor (LlmQuotaStageTests); the maximum bounds the other retry hints.
        _server.Script(FakeReply.Error(503, retryAfter: "5"));

        var outcome = await _harness.RunAsync(_harness.Services(InterpretationHarness.LlmSettings(_server)), org, team);

        Assert.Equal((StageStatus.Failed, InterpretationFailedException.LlmUnavailable), (outcome.Status, outcome.ErrorCode));
        Assert.Contains("LLM_MAX_RETRY_AFTER_SECONDS", outcome.ErrorMessage, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Invalid_json_gets_a_repair_call_that_succeeds()
    {
        var (org, team) = await SeededTeamAsync();
        _server.Script(FakeReply.Completion("{\"executive_summary\": ", promptTokens: 100, completionTokens: 5));

        var outcome = await _harness.RunAsync(_harness.Services(InterpretationHarness.LlmSettings(_server)), org, team);

        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        Assert.Equal((220, 85, 2), (outcome.TokensIn, outcome.TokensOut, outcome.LlmCalls));
        var repair = _server.Requests.ToList()[1].Body["messages"]!.AsArray();
        Assert.Equal(4, repair.Count);
        Assert.Contains("not valid JSON", (string)repair[3]!["content"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_output_twice_fails_and_keeps_the_previous_row_active()
    {
        var (org, team) = await SeededTeamAsync();
        await _harness.InsertActiveAsync(team, "previous-hash");
        var previous = await _harness.ActiveAsync(team.TeamId);
        _server.Default = FakeReply.Completion("""{"executive_summary": "burnout"}""");

        var outcome = await _harness.RunAsync(_harness.Services(InterpretationHarness.LlmSettings(_server)), org, team);

        Assert.Equal((StageStatus.Failed, InterpretationFailedException.InvalidOutput), (outcome.Status, outcome.ErrorCode));
        Assert.Equal((240, 160, 2), (outcome.TokensIn, outcome.TokensOut, outcome.LlmCalls));
        Assert.Equal(2, _server.Requests.Count);
        Assert.DoesNotContain("burnout", outcome.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(previous, await _harness.ActiveAsync(team.TeamId));
        Assert.Equal(1, await _harness.RowCountAsync(team.TeamId));
    }

    [Fact]
    public async Task Invalid_output_twice_falls_back_to_offline_and_the_llm_is_tried_again_next_run()
    {
        var (org, team) = await SeededTeamAsync();
        _server.Script(FakeReply.Completion("[]"), FakeReply.Completion("[]"));
        var services = _harness.Services(InterpretationHarness.LlmSettings(_server, fallback: true));

        var outcome = await _harness.RunAsync(services, org, team);

        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        Assert.Contains(InterpretationStage.FallbackNote, _harness.Notes);
        var row = await _harness.ActiveAsync(team.TeamId);
        Assert.Equal(OfflineInterpreter.ModelId, row!.ModelId);
        Assert.Equal(StageInputHashes.Interpretation("attr-1", PipelineVersions.Prompt, OfflineInterpreter.ModelId, PipelineVersions.InterpretationSchema), row.InputHash);

        var next = await _harness.RunAsync(services, org, team);

        Assert.Equal(StageStatus.Succeeded, next.Status);
        Assert.Equal(3, _server.Requests.Count);
        Assert.Equal("gpt-test", (await _harness.ActiveAsync(team.TeamId))!.ModelId);
    }

    [Fact]
    public async Task A_content_filter_refusal_fails_with_exactly_one_attempt()
    {
        var (org, team) = await SeededTeamAsync();
        _server.Script(FakeReply.Completion(string.Empty, finishReason: "content_filter", completionTokens: 0));

        var outcome = await _harness.RunAsync(_harness.Services(InterpretationHarness.LlmSettings(_server, fallback: true)), org, team);

        Assert.Equal((StageStatus.Failed, InterpretationFailedException.ContentFiltered), (outcome.Status, outcome.ErrorCode));
        Assert.Single(_server.Requests);
        Assert.Null(await _harness.ActiveAsync(team.TeamId));
    }

    [Fact]
    public async Task A_filtered_prompt_rejected_with_400_fails_as_content_filtered()
    {
        var (org, team) = await SeededTeamAsync();
        _server.Script(new FakeReply(400, """{"error":{"code":"content_filter","message":"filtered"}}"""));

        var outcome = await _harness.RunAsync(_harness.Services(InterpretationHarness.LlmSettings(_server)), org, team);

        Assert.Equal(InterpretationFailedException.ContentFiltered, outcome.ErrorCode);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task An_unchanged_rerun_calls_no_llm_and_writes_nothing()
    {
        var (org, team) = await SeededTeamAsync();
        var services = _harness.Services(InterpretationHarness.LlmSettings(_server));
        await _harness.RunAsync(services, org, team);
        var written = await _harness.ActiveAsync(team.TeamId);

        var rerun = await _harness.RunAsync(services, org, team);

        Assert.Equal((StageStatus.Skipped, "hash_match"), (rerun.Status, rerun.Reason));
        Assert.False(rerun.Wrote);
        Assert.Single(_server.Requests);
        Assert.Equal(written, await _harness.ActiveAsync(team.TeamId));
        Assert.Equal(1, await _harness.RowCountAsync(team.TeamId));
    }

    [Fact]
    public async Task A_new_prompt_version_invalidates_the_stored_interpretation()
    {
        var (org, team) = await SeededTeamAsync();
        await _harness.InsertActiveAsync(team, StageInputHashes.Interpretation("attr-1", "prompt-v0", "gpt-test", PipelineVersions.InterpretationSchema));
        var services = _harness.Services(InterpretationHarness.LlmSettings(_server));
        var stage = InterpretationHarness.Stage(services);

        var plan = await (await stage.BeginOrgAsync(await _harness.ContextAsync(services, org), CancellationToken.None)).PlanTeamAsync(team, CancellationToken.None);
        var outcome = await _harness.RunAsync(services, org, team);

        Assert.Equal(StagePlan.Run("input_changed"), plan);
        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        Assert.Equal(2, await _harness.RowCountAsync(team.TeamId));
        Assert.Equal(PipelineVersions.Prompt, (await _harness.ActiveAsync(team.TeamId))!.PromptVersion);
    }

    [Fact]
    public async Task Concurrent_llm_calls_never_exceed_the_configured_maximum()
    {
        var org = await _harness.AddOrgAsync(8);
        foreach (var team in org.Teams)
        {
            await _harness.SeedAsync(team, "attr-1");
        }

        _server.Default = _server.Default with { Delay = TimeSpan.FromMilliseconds(200) };
        var services = _harness.Services(InterpretationHarness.LlmSettings(_server, concurrency: 2));
        var orgStage = await InterpretationHarness.Stage(services).BeginOrgAsync(await _harness.ContextAsync(services, org), CancellationToken.None);

        var outcomes = await Task.WhenAll(org.Teams.Select(team => orgStage.RunTeamAsync(team, CancellationToken.None)));

        Assert.All(outcomes, outcome => Assert.Equal(StageStatus.Succeeded, outcome.Status));
        Assert.Equal(8, _server.Requests.Count);
        Assert.Equal(2, _server.MaxInFlight);
    }

    [Fact]
    public void The_team_budget_covers_two_calls_of_every_attempt_and_wait()
    {
        var stage = InterpretationHarness.Stage(_harness.Services(InterpretationHarness.LlmSettings(_server)));

        // 2 × (3 attempts × 1 s + 2 waits × 1 s) + WEEKLY_TEAM_TIMEOUT_SECONDS (5 s).
        Assert.Equal(TimeSpan.FromSeconds(15), stage.TeamTimeout);
    }

    private async Task<(OrgRef Org, TeamRef Team)> SeededTeamAsync(bool withUpstream = false)
    {
        var org = await _harness.AddOrgAsync(2);
        await _harness.SeedAsync(org.Teams[0], "attr-1", withUpstream ? org.Teams[1].TeamId : null);
        return (org, org.Teams[0]);
    }
}

/// <summary>Tests that wait in real time (Retry-After, timeouts) run apart from the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealTimeTests
{
    public const string Name = "Interpretation real time";
}
