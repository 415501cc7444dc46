using System.Net;
using System.Text;
using System.Text.Json;
using InPsyq.Weekly.Demo;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Interpretation;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>50 simultaneous triggers for one week, spread over two standalone host processes, start exactly one run; every 409 names it.</summary>
[Collection(ReliabilityTests.Name)]
public sealed class ConcurrentTriggerTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task Fifty_triggers_across_two_hosts_give_one_run_and_49_LOCKED()
    {
        await new DemoTenantSeeder(fixture.DataSource).SeedAsync(DemoTenant.DefaultSeed, RunnerHarness.LastWeek, CancellationToken.None);
        await using var llm = await FakeOpenAIServer.StartAsync();
        // Slow interpretations make the one run last seconds, so every trigger arrives while it holds the lock.
        llm.Default = llm.Default with { Delay = TimeSpan.FromMilliseconds(700) };
        var settings = new Dictionary<string, string?>(fixture.Settings);
        foreach (var (key, value) in InterpretationHarness.LlmSettings(llm))
        {
            settings[key] = value;
        }

        settings["LLM_TIMEOUT_SECONDS"] = "10";
        await using var hostA = await ChildHost.ServeAsync(settings);
        await using var hostB = await ChildHost.ServeAsync(settings);
        foreach (var host in new[] { hostA, hostB })
        {
            using var warmUp = await TriggerAsync(host, "{\"dry_run\":true}");
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => TriggerAsync(i % 2 == 0 ? hostA : hostB, "{\"mode\":\"FULL\"}")));

        var statuses = responses.Select(response => (int)response.StatusCode).ToList();
        Assert.Equal(1, statuses.Count(status => status == 200));
        Assert.Equal(49, statuses.Count(status => status == 409));
        var winner = JsonDocument.Parse(await responses.Single(response => response.StatusCode == HttpStatusCode.OK).Content.ReadAsStringAsync())
            .RootElement.GetProperty("run_id").GetString();
        foreach (var response in responses.Where(response => response.StatusCode == HttpStatusCode.Conflict))
        {
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("LOCKED", error.GetProperty("error").GetString());
            // The real holder, never a placeholder nor an earlier holder of the lock blob.
            Assert.Equal(winner, error.GetProperty("holder").GetProperty("run_id").GetString());
            Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }

        Assert.Equal(1, await ScalarAsync("select count(*) from weekly_runs where status <> 'locked'"));
        Assert.Equal(49, await ScalarAsync("select count(*) from weekly_runs where status = 'locked'"));
        Assert.Equal(0, await ScalarAsync("select count(*) from (select team_id from weekly_interpretations where is_active group by team_id having count(*) > 1) duplicated"));
        Assert.Empty(await PipelineOutputs.FindBrokenUnitsAsync(fixture.DataSource, fixture.BlobService.GetBlobContainerClient(fixture.AttributionContainer), RunnerHarness.LastWeek.Monday));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    private static Task<HttpResponseMessage> TriggerAsync(ChildHost host, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/internal/run-weekly") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
        return host.Client.SendAsync(request);
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var command = fixture.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
