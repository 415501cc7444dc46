using System.Diagnostics;
using System.Globalization;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Interpretation;

namespace InPsyq.Weekly.Tests.LlmQuota;

/// <summary>
/// Stage 3 with the quota governor over real HTTP (the SDK, the resilience pipeline, the fake endpoint): a 429 goes to
/// the governor and is not an attempt, the team's budget does not tick while it waits, the run's token does.
/// </summary>
[Collection(LlmQuotaTests.Name)]
public sealed class LlmQuotaStageTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>, IAsyncLifetime
{
    private readonly InterpretationHarness _harness = new(fixture);
    private FakeOpenAIServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_429_goes_to_the_governor_is_waited_for_however_long_and_is_not_one_of_the_attempts()
    {
        var (org, team) = await SeededTeamAsync();
        var settings = Settings(maxAttempts: 1);
        // Retry-After 2 s is above LLM_MAX_RETRY_AFTER_SECONDS (1 s), which bounds only the other retry hints.
        _server.Script(FakeReply.Error(429, retryAfter: "2"), FakeReply.Error(429));

        var outcome = await _harness.RunAsync(_harness.Services(settings), org, team);

        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        var requests = _server.Requests.ToList();
        Assert.Equal(3, requests.Count);
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromMilliseconds(1900), "the governor must wait out Retry-After: 2");
        Assert.All(requests, request => Assert.Equal(1500, FakeOpenAIServer.MaxOutputTokensOf(request.Body)));
    }

    [Fact]
    public async Task A_teams_budget_does_not_tick_while_it_waits_for_admission()
    {
        var (org, team) = await SeededTeamAsync();
        var services = _harness.Services(Settings(maxAttempts: 1));
        var stage = InterpretationHarness.Stage(services);
        _server.Script(FakeReply.Error(429, retryAfter: "5"));
        var orgStage = await stage.BeginOrgAsync(await _harness.ContextAsync(services, org), CancellationToken.None);

        // 2 calls × 1 attempt × LLM_TIMEOUT_SECONDS (1 s) + WEEKLY_TEAM_TIMEOUT_SECONDS (1 s): less than the 5 s pause.
        Assert.Equal(TimeSpan.FromSeconds(3), stage.TeamTimeout);
        using var budget = new TeamBudget(stage.TeamTimeout!.Value, TimeProvider.System);
        var outcome = await orgStage.RunTeamAsync(team, budget, budget.Token);

        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        Assert.False(budget.IsExpired);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task Waiting_for_admission_ends_with_the_runs_deadline()
    {
        var (org, team) = await SeededTeamAsync();
        var services = _harness.Services(Settings(maxAttempts: 1));
        var stage = InterpretationHarness.Stage(services);
        _server.Script(FakeReply.Error(429, retryAfter: "120"));
        var orgStage = await stage.BeginOrgAsync(await _harness.ContextAsync(services, org), CancellationToken.None);
        using var budget = new TeamBudget(stage.TeamTimeout!.Value, TimeProvider.System);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, budget.Token);

        var waited = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => orgStage.RunTeamAsync(team, budget, linked.Token));

        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"the wait ended {waited.Elapsed.TotalSeconds:0.0} s in, not at the deadline");
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task With_quotas_of_0_the_governor_stores_nothing_even_after_a_429()
    {
        var (org, team) = await SeededTeamAsync();
        _server.Script(FakeReply.Error(429, retryAfter: "0"));

        var outcome = await _harness.RunAsync(_harness.Services(Settings()), org, team);

        Assert.Equal(StageStatus.Succeeded, outcome.Status);
        Assert.Equal(0, await fixture.CountAsync("llm_quota"));
        Assert.Equal(0, await fixture.CountAsync("llm_quota_events"));
    }

    [Fact]
    public async Task Governed_calls_are_charged_at_least_what_the_service_counts_and_none_is_refused()
    {
        var org = await _harness.AddOrgAsync(8);
        foreach (var team in org.Teams)
        {
            await _harness.SeedAsync(team, "attr-1");
        }

        // A quota the eight calls fit in (a sixth of it is the burst), enforced by the fake as configured.
        var quota = _server.Limit("gpt-test", 60, 120_000);
        var services = _harness.Services(Settings(requestsPerMinute: 60, tokensPerMinute: 120_000, concurrency: 4));
        var orgStage = await InterpretationHarness.Stage(services).BeginOrgAsync(await _harness.ContextAsync(services, org), CancellationToken.None);

        var outcomes = await Task.WhenAll(org.Teams.Select(team => orgStage.RunTeamAsync(team, CancellationToken.None)));

        Assert.All(outcomes, outcome => Assert.Equal(StageStatus.Succeeded, outcome.Status));
        Assert.Equal(0, quota.Refused);
        await using var command = fixture.DataSource.CreateCommand("select coalesce(sum(tokens), 0) from llm_quota_events where kind = 'lease'");
        var leased = (double)(await command.ExecuteScalarAsync())!;
        Assert.True(leased >= quota.Arrivals.Sum(arrival => arrival.Tokens), $"leased {leased} tokens for {quota.Arrivals.Sum(arrival => arrival.Tokens)} counted");
    }

    private Dictionary<string, string?> Settings(int maxAttempts = 3, int requestsPerMinute = 0, int tokensPerMinute = 0, int concurrency = 3)
    {
        var settings = InterpretationHarness.LlmSettings(_server, concurrency);
        settings["LLM_MAX_ATTEMPTS"] = maxAttempts.ToString(CultureInfo.InvariantCulture);
        settings["LLM_REQUESTS_PER_MINUTE"] = requestsPerMinute.ToString(CultureInfo.InvariantCulture);
        settings["LLM_TOKENS_PER_MINUTE"] = tokensPerMinute.ToString(CultureInfo.InvariantCulture);
        settings["WEEKLY_TEAM_TIMEOUT_SECONDS"] = "1";
        return settings;
    }

    private async Task<(OrgRef Org, TeamRef Team)> SeededTeamAsync()
    {
        var org = await _harness.AddOrgAsync(2);
        await _harness.SeedAsync(org.Teams[0], "attr-1");
        return (org, org.Teams[0]);
    }
}
