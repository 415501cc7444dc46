using System.Net;
using System.Text.Json;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Http;

/// <summary>
/// A run longer than <c>WEEKLY_HTTP_WAIT_SECONDS</c>: the POST answers 202 with where to ask again, the host's queue
/// workers go on with it, and the status URL answers its progress and then its final report.
/// </summary>
public sealed class RunWeeklyAcceptedTests(ScriptedStageFixture fixture) : IClassFixture<ScriptedStageFixture>
{
    [Fact]
    public async Task A_run_that_outlasts_the_wait_is_202_with_its_status_url_which_then_answers_the_final_report()
    {
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(3);
        var rollup = new ScriptedStage(PipelineStage.Rollup) { Script = (_, ct) => Task.Delay(700, ct) };
        await using var server = await fixture.StartServerAsync(
            new Dictionary<string, string?> { ["WEEKLY_HTTP_WAIT_SECONDS"] = "1", ["WEEKLY_TEAM_PARALLELISM"] = "1" },
            services => services.AddSingleton<IPipelineStage>(rollup));

        using var accepted = await SendAsync(server, HttpMethod.Post, "/api/internal/run-weekly", $$"""{"mode":"PIPELINE_ONLY","org_id":"{{org}}"}""");
        var body = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var runId = body.GetProperty("run_id").GetGuid();
        var statusUrl = $"/api/internal/run-weekly/{runId}";
        Assert.Equal(("running", statusUrl), (body.GetProperty("status").GetString(), body.GetProperty("status_url").GetString()));
        Assert.Equal(statusUrl, accepted.Headers.Location?.OriginalString);
        Assert.Equal(TimeSpan.FromSeconds(10), accepted.Headers.RetryAfter?.Delta);
        Assert.Equal(teams.Count, body.GetProperty("progress").GetProperty("teams_total").GetInt32());

        JsonElement final;
        HttpStatusCode status;
        var polls = 0;
        do
        {
            await Task.Delay(250);
            using var poll = await SendAsync(server, HttpMethod.Get, statusUrl, body: null);
            status = poll.StatusCode;
            final = JsonDocument.Parse(await poll.Content.ReadAsStringAsync()).RootElement;
            Assert.True(++polls < 120, "the run did not end within 30 s");
        }
        while (final.GetProperty("status").GetString() == "running");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("completed", runId), (final.GetProperty("status").GetString(), final.GetProperty("run_id").GetGuid()));
        Assert.Equal(teams.Order(), final.GetProperty("teams").EnumerateArray().Select(team => team.GetProperty("team_id").GetGuid()).Order());
        Assert.All(final.GetProperty("teams").EnumerateArray(), team => Assert.Equal("succeeded", team.GetProperty("status").GetString()));
    }

    [Theory]
    [InlineData("not-a-uuid", HttpStatusCode.BadRequest, "INVALID_UUID")]
    [InlineData("00000000-0000-4000-8000-000000000000", HttpStatusCode.NotFound, "RUN_NOT_FOUND")]
    public async Task The_status_url_of_no_run_is_refused_with_its_code(string runId, HttpStatusCode expected, string code)
    {
        await using var server = await fixture.StartServerAsync();

        using var response = await SendAsync(server, HttpMethod.Get, $"/api/internal/run-weekly/{runId}", body: null);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(code, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    private static Task<HttpResponseMessage> SendAsync(RunningServer server, HttpMethod method, string path, string? body)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body) };
        request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
        return server.Client.SendAsync(request);
    }
}
