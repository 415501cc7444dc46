using System.Text.Json;
using InPsyq.Weekly.Tests.Infrastructure;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>
/// The 7/30/90-day aggregates on a fixed history, with every figure computed by hand below. Percentiles are by
/// nearest rank: the value at rank ceil(p × n) of the sorted durations.
/// </summary>
public sealed class RunAggregatesTests(RunAggregatesTests.Fixture fixture) : IClassFixture<RunAggregatesTests.Fixture>
{
    public sealed class Fixture : IntegrationFixture
    {
        public RunningServer Server { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Server = await StartServerAsync();
            var runs = new RunRows(DataSource);
            var now = DateTimeOffset.UtcNow;
            var team = Guid.NewGuid();

            // Last 7 days. Finished, not locked: 100, 200, 300 (partial), 400 (failed) → run failure 1/4, p50 = rank 2 = 200,
            // p95 = rank 4 = 400. Team-stage results without skipped: 3 (1 failed) + 3 (1 timed_out) + 2 → 2/8.
            await runs.AddAsync("completed", now.AddDays(-1), durationMs: 100, tokensIn: 10, tokensOut: 5,
                details: RunRows.Details((team, "A", ["succeeded", "succeeded", "failed"]), (Guid.NewGuid(), "B", ["skipped", "skipped", "skipped"])));
            await runs.AddAsync("completed", now.AddDays(-2), durationMs: 200);
            await runs.AddAsync("partial", now.AddDays(-3), durationMs: 300, details: RunRows.Details((team, "A", ["succeeded", "succeeded"])));
            await runs.AddAsync("failed", now.AddDays(-4), durationMs: 400, tokensIn: 20, tokensOut: 10,
                details: RunRows.Details((team, "A", ["timed_out", "not_started", "not_started"])));
            await runs.AddAsync("locked", now.AddDays(-5), durationMs: 5);
            await runs.AddAsync("running", now.AddDays(-6));

            // 8–30 days: abandoned (no duration) and 500, 600, 700 → 30d: failures 2/8; durations n = 7: p50 = rank 4 = 400,
            // p95 = rank 7 = 700; team-stage 2/10.
            await runs.AddAsync("abandoned", now.AddDays(-10), durationMs: null);
            await runs.AddAsync("completed", now.AddDays(-12), durationMs: 500, tokensIn: 100, tokensOut: 50,
                details: RunRows.Details((team, "A", ["succeeded", "succeeded"])));
            await runs.AddAsync("completed", now.AddDays(-15), durationMs: 600);
            await runs.AddAsync("completed", now.AddDays(-20), durationMs: 700);

            // 31–90 days: 800, 900 → 90d: failures 2/10; n = 9: p50 = rank 5 = 500, p95 = rank 9 = 900; team-stage 3/15.
            await runs.AddAsync("completed", now.AddDays(-40), durationMs: 800, tokensIn: 1000, tokensOut: 500,
                details: RunRows.Details((team, "A", ["failed", "not_started"])));
            await runs.AddAsync("completed", now.AddDays(-60), durationMs: 900,
                details: RunRows.Details((team, "A", ["succeeded", "succeeded", "succeeded"])));

            // Outside every window.
            await runs.AddAsync("failed", now.AddDays(-100), durationMs: 99_999, tokensIn: 99_999, tokensOut: 99_999,
                details: RunRows.Details((team, "A", ["failed", "failed", "failed"])));
        }
    }

    [Theory]
    [InlineData("7d", 0.25, 2.0 / 8, 200, 400, 30, 15)]
    [InlineData("30d", 0.25, 2.0 / 10, 400, 700, 130, 65)]
    [InlineData("90d", 0.2, 3.0 / 15, 500, 900, 1130, 565)]
    public async Task Aggregates_match_the_hand_computed_figures(
        string window, double runFailureRate, double teamFailureRate, long p50, long p95, long tokensIn, long tokensOut)
    {
        var aggregates = (await GetAsync()).GetProperty("aggregates").GetProperty(window);

        Assert.Equal(runFailureRate, aggregates.GetProperty("failure_rate").GetProperty("runs").GetDouble(), 9);
        Assert.Equal(teamFailureRate, aggregates.GetProperty("failure_rate").GetProperty("teams").GetDouble(), 9);
        Assert.Equal(p50, aggregates.GetProperty("duration_ms").GetProperty("p50").GetInt64());
        Assert.Equal(p95, aggregates.GetProperty("duration_ms").GetProperty("p95").GetInt64());
        Assert.Equal(tokensIn, aggregates.GetProperty("llm_tokens").GetProperty("in").GetInt64());
        Assert.Equal(tokensOut, aggregates.GetProperty("llm_tokens").GetProperty("out").GetInt64());
    }

    [Fact]
    public async Task Runs_by_status_count_each_window()
    {
        var aggregates = (await GetAsync()).GetProperty("aggregates");

        Assert.Equal(
            new Dictionary<string, int> { ["completed"] = 2, ["partial"] = 1, ["failed"] = 1, ["locked"] = 1, ["running"] = 1 },
            ByStatus(aggregates.GetProperty("7d")));
        Assert.Equal(
            new Dictionary<string, int> { ["completed"] = 5, ["partial"] = 1, ["failed"] = 1, ["locked"] = 1, ["running"] = 1, ["abandoned"] = 1 },
            ByStatus(aggregates.GetProperty("30d")));
        Assert.Equal(7, ByStatus(aggregates.GetProperty("90d"))["completed"]);
        Assert.Equal(1, ByStatus(aggregates.GetProperty("90d"))["failed"]);
    }

    private static Dictionary<string, int> ByStatus(JsonElement window) =>
        window.GetProperty("runs_by_status").EnumerateObject().ToDictionary(status => status.Name, status => status.Value.GetInt32());

    private async Task<JsonElement> GetAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/internal/diag/weekly-runs?limit=1");
        request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
        var response = await fixture.Server.Client.SendAsync(request);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
