using System.Text.Json.Nodes;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Interpretation;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// A FULL run whose LLM endpoint fails some teams (5xx, timeouts, garbage) and throttles another: the failing teams
/// fail after their retries, the throttled one retries and succeeds, the others complete, the run is <c>partial</c>,
/// and only valid interpretations are stored.
/// </summary>
[Collection(ReliabilityTests.Name)]
public sealed class LlmFaultTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task Failing_teams_fail_after_their_retries_the_others_complete_and_nothing_invalid_is_stored()
    {
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, RunnerHarness.LastWeek, CancellationToken.None);
        await using var llm = await FakeOpenAIServer.StartAsync();
        var timeout = llm.Default with { Delay = TimeSpan.FromSeconds(5) };
        var garbage = FakeReply.Completion("{\"executive_summary\": \"not what the schema asks for\"");
        // One item and one team at a time, so the script is consumed team by team, in team_id order.
        llm.Script(
            FakeReply.Error(500), FakeReply.Error(502), FakeReply.Error(503),
            FakeReply.Error(429, retryAfter: "0"), llm.Default,
            garbage, garbage,
            timeout, timeout, timeout);
        var settings = InterpretationHarness.LlmSettings(llm, concurrency: 1);
        settings["WEEKLY_TEAM_PARALLELISM"] = "1";
        settings["WEEKLY_WORKERS"] = "1";
        var services = fixture.CreateServices(settings);

        var report = (await services.GetRequiredService<WeeklyRunner>().RunAsync(RunnerHarness.Request(), RunTrigger.Http, CancellationToken.None)).Report!;

        Assert.Equal(RunStatus.Partial, report.Status);
        Assert.Equal(3, report.Counts.InterpretationsFailed);
        var interpreted = await ScalarAsync("select count(distinct team_id) from team_series where week_start = $1");
        Assert.Equal(interpreted - 3, report.Counts.InterpretationsWritten);
        var failedTeams = report.Errors.Where(error => error.Stage == "interpretation").Select(error => error.TeamId).ToHashSet();
        Assert.Equal(3, failedTeams.Count);
        Assert.Equal(0, await ScalarAsync($"select count(*) from weekly_interpretations where week_start = $1 and team_id in ({string.Join(',', failedTeams.Select(team => $"'{team}'"))})"));

        var expected = JsonNode.Parse(JsonNode.Parse(llm.Default.Body)!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        await using var command = fixture.DataSource.CreateCommand("select sections::text from weekly_interpretations where week_start = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<DateOnly> { TypedValue = RunnerHarness.LastWeek.Monday });
        await using var reader = await command.ExecuteReaderAsync();
        var stored = 0;
        while (await reader.ReadAsync())
        {
            Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(reader.GetString(0))), reader.GetString(0));
            stored++;
        }

        Assert.Equal(interpreted - 3, stored);
        Assert.Empty(await PipelineOutputs.FindBrokenUnitsAsync(fixture.DataSource, fixture.BlobService.GetBlobContainerClient(fixture.AttributionContainer), RunnerHarness.LastWeek.Monday));
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var command = fixture.DataSource.CreateCommand(sql);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<DateOnly> { TypedValue = RunnerHarness.LastWeek.Monday });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
