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
        // The service answers no interpretation until 49 triggers have been answered, so every trigger arrives while the
        // one run holds the lock, however slowly a loaded machine delivers them.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        llm.Hold = release.Task;
        var settings = new Dictionary<string, string?>(fixture.Settings);
        foreach (var (key, value) in InterpretationHarness.LlmSettings(llm))
        {
            settings[key] = value;
        }

        settings["LLM_TIMEOUT_SECONDS"] = "25";
        await using var hostA = await ChildHost.ServeAsync(settings);
        await using var hostB = await ChildHost.ServeAsync(settings);
        foreach (var host in new[] { hostA, hostB })
        {
            using var warmUp = await TriggerAsync(host, "{\"dry_run\":true}");
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        var triggers = Enumerable.Range(0, 50).Select(i => TriggerAsync(i % 2 == 0 ? hostA : hostB, "{\"mode\":\"FULL\"}")).ToList();
        while (triggers.Count(trigger => trigger.IsCompleted) < 49)
        {
            await Task.WhenAny(triggers.Where(trigger => !trigger.IsCompleted));
        }

        release.SetResult();
        var responses = await Task.WhenAll(triggers);

        var unexpected = responses.Where(response => response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Conflict)).ToList();
        Assert.True(unexpected.Count == 0, string.Join("; ", await Task.WhenAll(unexpected.Select(async response => $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}"))));
        Assert.Single(responses, response => response.StatusCode == HttpStatusCode.OK);
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
