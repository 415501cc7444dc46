using System.Net;
using System.Text.Json;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>The run history over HTTP: cursor paging, filters, limits, one run's detail, and recent job executions.</summary>
public sealed class WeeklyRunsDiagTests(WeeklyRunsDiagTests.Fixture fixture) : IClassFixture<WeeklyRunsDiagTests.Fixture>
{
    private const int RowCount = 120;
    private static readonly string[] s_statuses = ["completed", "partial", "failed", "locked"];
    private static readonly string[] s_triggers = ["schedule", "http", "cli"];

    public sealed class Fixture : IntegrationFixture
    {
        public RunningServer Server { get; private set; } = null!;

        /// <summary>Newest first, as the history sorts: (started_at desc, run_id desc).</summary>
        public List<(Guid RunId, DateTimeOffset StartedAt, string Status, string Trigger, IsoWeek Week)> Rows { get; } = [];

        public Guid DetailedTeam { get; } = Guid.NewGuid();

        public Guid DetailedRun { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Server = await StartServerAsync();
            var runs = new RunRows(DataSource);
            var start = DateTimeOffset.UtcNow.AddDays(-1);
            var thisWeek = IsoWeek.Containing(start);
            for (var i = 0; i < RowCount; i++)
            {
                // Pairs share started_at, so paging must break ties by run_id.
                var startedAt = start.AddMinutes(-(i / 2));
                var (status, trigger, week) = (s_statuses[i % 4], s_triggers[i % 3], thisWeek.AddWeeks(-(i % 5)));
                var details = i == 0 ? RunRows.Details((DetailedTeam, "Platform", ["succeeded", "failed", "not_started"])) : "{}";
                var runId = await runs.AddAsync(status, startedAt, week, trigger: trigger, details: details);
                DetailedRun = i == 0 ? runId : DetailedRun;
                Rows.Add((runId, startedAt, status, trigger, week));
            }

            Rows.Sort((a, b) => (b.StartedAt, b.RunId).CompareTo((a.StartedAt, a.RunId)));
        }
    }

    [Fact]
    public async Task Cursor_paging_returns_every_run_once_in_order()
    {
        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await GetJsonAsync($"/api/internal/diag/weekly-runs?limit=50{(cursor is null ? string.Empty : $"&cursor={cursor}")}");
            seen.AddRange(page.GetProperty("runs").EnumerateArray().Select(run => run.GetProperty("run_id").GetGuid()));
            cursor = page.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(fixture.Rows.Select(row => row.RunId), seen);
    }

    [Fact]
    public async Task A_page_of_exactly_the_remaining_rows_has_no_next_cursor()
    {
        var page = await GetJsonAsync($"/api/internal/diag/weekly-runs?limit={RowCount / 2}");
        var cursor = page.GetProperty("next_cursor").GetString();
        var last = await GetJsonAsync($"/api/internal/diag/weekly-runs?limit={RowCount / 2}&cursor={cursor}");

        Assert.Equal(RowCount / 2, last.GetProperty("runs").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, last.GetProperty("next_cursor").ValueKind);
    }

    [Fact]
    public async Task Filters_combine_and_the_default_limit_is_50()
    {
        var all = await GetJsonAsync("/api/internal/diag/weekly-runs");
        Assert.Equal(50, all.GetProperty("runs").GetArrayLength());

        var week = fixture.Rows[0].Week;
        var filtered = await GetJsonAsync($"/api/internal/diag/weekly-runs?status=failed&trigger=http&week_start={week}&limit=200");
        var expected = fixture.Rows.Where(row => row is { Status: "failed", Trigger: "http" } && row.Week == week).Select(row => row.RunId).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, filtered.GetProperty("runs").EnumerateArray().Select(run => run.GetProperty("run_id").GetGuid()));
    }

    [Theory]
    [InlineData("limit=0", "INVALID_LIMIT")]
    [InlineData("limit=201", "INVALID_LIMIT")]
    [InlineData("limit=ten", "INVALID_LIMIT")]
    [InlineData("cursor=not-a-cursor", "INVALID_CURSOR")]
    [InlineData("week_start=2026-13-01", "INVALID_DATE")]
    [InlineData("trigger=timer", "INVALID_TRIGGER")]
    public async Task Invalid_parameters_are_400_with_a_code(string query, string code)
    {
        var response = await SendAsync($"/api/internal/diag/weekly-runs?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(code, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Detail_has_per_team_stage_results_and_an_unknown_run_is_404()
    {
        var run = await GetJsonAsync($"/api/internal/diag/weekly-runs/{fixture.DetailedRun}");

        var team = run.GetProperty("details").GetProperty("teams")[0];
        Assert.Equal(fixture.DetailedTeam, team.GetProperty("team_id").GetGuid());
        Assert.Equal(["succeeded", "failed", "not_started"], team.GetProperty("stages").EnumerateArray().Select(stage => stage.GetProperty("status").GetString()));

        var missing = await SendAsync($"/api/internal/diag/weekly-runs/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("RUN_NOT_FOUND", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_lists_recent_executions_with_filters()
    {
        await using (var command = fixture.DataSource.CreateCommand("""
            insert into scheduled_job_executions (job_id, execution_id, attempt, status, started_at, completed_at)
            select job, gen_random_uuid(), 1, status, now() - make_interval(mins => n), now() - make_interval(mins => n) + interval '1 second'
            from (values ('run-reaper', 'succeeded', 1), ('run-reaper', 'failed', 2), ('retention-cleanup', 'failed', 3)) v(job, status, n)
            """))
        {
            await command.ExecuteNonQueryAsync();
        }

        var all = await GetJsonAsync("/api/internal/diag/jobs");
        Assert.Equal(["run-reaper", "run-reaper", "retention-cleanup"], all.GetProperty("executions").EnumerateArray().Select(e => e.GetProperty("job_id").GetString()));

        var failedReaper = await GetJsonAsync("/api/internal/diag/jobs?job_id=run-reaper&status=failed");
        Assert.Single(failedReaper.GetProperty("executions").EnumerateArray());

        var limited = await GetJsonAsync("/api/internal/diag/jobs?limit=1");
        Assert.Equal("succeeded", limited.GetProperty("executions")[0].GetProperty("status").GetString());

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync("/api/internal/diag/jobs?limit=500")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Server.Client.GetAsync(new Uri("/api/internal/diag/jobs", UriKind.Relative))).StatusCode);
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await SendAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<HttpResponseMessage> SendAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
        return await fixture.Server.Client.SendAsync(request);
    }
}
