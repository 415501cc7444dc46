using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using InPsyq.Weekly.Tests.Infrastructure;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// Bad requests to every endpoint of the standalone host: each gets a 4xx with a machine-readable error code and a
/// message, the host keeps serving, and nothing is written.
/// </summary>
public sealed class BadInputCorpusTests(BadInputCorpusTests.Fixture fixture) : IClassFixture<BadInputCorpusTests.Fixture>
{
    public sealed class Fixture : IntegrationFixture
    {
        public RunningServer Server { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await new TenantBuilder(DataSource).AddOrgAsync(2);
            Server = await StartServerAsync();
        }
    }

    private const string RunWeekly = "/api/internal/run-weekly";
    private const string Health = "/api/internal/health/weekly";
    private const string Runs = "/api/internal/diag/weekly-runs";
    private const string Jobs = "/api/internal/diag/jobs";
    private const string Live = "/api/health/live";
    private const string JobRun = "/api/internal/jobs/db-maintenance/run";
    private const string JobCancel = "/api/internal/jobs/db-maintenance/cancel";
    private static readonly string s_wrongSecret = new('x', 48);

    /// <summary>
    /// Method, path, credentials (<c>cron</c>, <c>admin</c>, <c>none</c>, <c>wrong</c>, <c>bearer-mismatch</c>, <c>basic</c>),
    /// body, expected status, expected error code.
    /// </summary>
    public static TheoryData<string, string, string, string?, int, string> Corpus() => new()
    {
        // run-weekly: credentials and method (the body contract itself is RunWeeklyContractTests').
        { "POST", RunWeekly, "none", "{}", 401, "UNAUTHORIZED" },
        { "POST", RunWeekly, "wrong", "{}", 401, "UNAUTHORIZED" },
        { "POST", RunWeekly, "admin", "{}", 401, "UNAUTHORIZED" },
        { "POST", RunWeekly, "bearer-mismatch", "{}", 401, "UNAUTHORIZED" },
        { "POST", RunWeekly, "basic", "{}", 401, "UNAUTHORIZED" },
        { "PATCH", RunWeekly, "cron", "{}", 405, "METHOD_NOT_ALLOWED" },
        { "POST", RunWeekly, "cron", "{\"week_offset\":-1,\"week_offset\":-2}", 400, "INVALID_BODY" },
        { "POST", RunWeekly, "cron", "{\"org_id\":\"\\u0000\"}", 400, "INVALID_UUID" },
        { "POST", RunWeekly, "cron", "{\"mode\":\"FULL\\u0000\"}", 400, "INVALID_MODE" },
        { "POST", RunWeekly, "cron", new string('[', 5000) + new string(']', 5000), 400, "INVALID_BODY" },
        { "POST", RunWeekly, "cron", "{\"week_start\":\"2026-W47\"}", 400, "INVALID_DATE" },
        { "POST", RunWeekly, "cron", "\uFEFF{\"mode\":\"FULL\"}", 400, "INVALID_BODY" },
        { "POST", RunWeekly, "cron", "{\"mode\":\"FULL\",\"force\":\"yes\"}", 400, "INVALID_TYPE" },

        // health
        { "GET", Health, "none", null, 401, "UNAUTHORIZED" },
        { "GET", Health, "wrong", null, 401, "UNAUTHORIZED" },
        { "GET", Health, "cron", null, 401, "UNAUTHORIZED" },
        { "POST", Health, "admin", "{}", 405, "METHOD_NOT_ALLOWED" },

        // diag/weekly-runs
        { "GET", Runs, "none", null, 401, "UNAUTHORIZED" },
        { "GET", Runs, "cron", null, 401, "UNAUTHORIZED" },
        { "GET", Runs + "?limit=0", "admin", null, 400, "INVALID_LIMIT" },
        { "GET", Runs + "?limit=201", "admin", null, 400, "INVALID_LIMIT" },
        { "GET", Runs + "?limit=-1", "admin", null, 400, "INVALID_LIMIT" },
        { "GET", Runs + "?limit=1e2", "admin", null, 400, "INVALID_LIMIT" },
        { "GET", Runs + "?limit=99999999999999999999", "admin", null, 400, "INVALID_LIMIT" },
        { "GET", Runs + "?limit=1&limit=2", "admin", null, 400, "INVALID_LIMIT" },
        { "GET", Runs + "?limit=", "admin", null, 400, "INVALID_LIMIT" },
        { "GET", Runs + "?week_start=2026-02-30", "admin", null, 400, "INVALID_DATE" },
        { "GET", Runs + "?week_start=yesterday", "admin", null, 400, "INVALID_DATE" },
        { "GET", Runs + "?cursor=not-a-cursor", "admin", null, 400, "INVALID_CURSOR" },
        { "GET", Runs + "?cursor=%FF", "admin", null, 400, "INVALID_CURSOR" },
        { "GET", Runs + "?cursor=%00%FF", "admin", null, 400, "INVALID_QUERY" },
        { "GET", Runs + "?status=%00", "admin", null, 400, "INVALID_QUERY" },
        { "GET", Runs + "?trigger=%00", "admin", null, 400, "INVALID_QUERY" },
        { "GET", Runs + "?cursor=" + new string('A', 4000), "admin", null, 400, "INVALID_CURSOR" },
        { "DELETE", Runs, "admin", null, 405, "METHOD_NOT_ALLOWED" },

        // diag/weekly-runs/{id}
        { "GET", Runs + "/not-a-uuid", "admin", null, 400, "INVALID_UUID" },
        { "GET", Runs + "/00000000-0000-0000-0000-00000000000g", "admin", null, 400, "INVALID_UUID" },
        { "GET", Runs + "/{00000000-0000-4000-8000-000000000000}", "admin", null, 400, "INVALID_UUID" },
        { "GET", Runs + "/00000000-0000-4000-8000-000000000000", "admin", null, 404, "RUN_NOT_FOUND" },
        { "GET", Runs + "/00000000-0000-4000-8000-000000000000", "none", null, 401, "UNAUTHORIZED" },

        // diag/jobs
        { "GET", Jobs, "none", null, 401, "UNAUTHORIZED" },
        { "GET", Jobs, "wrong", null, 401, "UNAUTHORIZED" },
        { "GET", Jobs + "?limit=abc", "admin", null, 400, "INVALID_LIMIT" },
        { "GET", Jobs + "?job_id=%00", "admin", null, 400, "INVALID_QUERY" },
        { "GET", Jobs + "?status=%00", "admin", null, 400, "INVALID_QUERY" },
        { "GET", Jobs + "?limit=500", "admin", null, 400, "INVALID_LIMIT" },
        { "PUT", Jobs, "admin", "{}", 405, "METHOD_NOT_ALLOWED" },

        // jobs/{id}/run and jobs/{id}/cancel (db-maintenance: weekly, so never running during the test)
        { "POST", JobRun, "none", null, 401, "UNAUTHORIZED" },
        { "POST", JobRun, "cron", null, 401, "UNAUTHORIZED" },
        { "POST", "/api/internal/jobs/no-such-job/run", "admin", null, 404, "JOB_NOT_FOUND" },
        { "GET", JobRun, "admin", null, 405, "METHOD_NOT_ALLOWED" },
        { "POST", JobCancel, "wrong", null, 401, "UNAUTHORIZED" },
        { "POST", "/api/internal/jobs/no-such-job/cancel", "admin", null, 404, "JOB_NOT_FOUND" },
        { "POST", JobCancel, "admin", null, 409, "JOB_NOT_RUNNING" },
        { "DELETE", JobCancel, "admin", null, 405, "METHOD_NOT_ALLOWED" },

        // health/live
        { "POST", Live, "none", "{}", 405, "METHOD_NOT_ALLOWED" },
        { "DELETE", Live, "none", null, 405, "METHOD_NOT_ALLOWED" },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task A_bad_request_gets_a_4xx_with_its_code_writes_nothing_and_the_host_keeps_serving(
        string method, string path, string credentials, string? body, int status, string code)
    {
        var before = await SnapshotAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        Authenticate(request, credentials);
        using var response = await fixture.Server.Client.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(code, error.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));

        Assert.Equal(before, await SnapshotAsync());
        using var live = await fixture.Server.Client.GetAsync(Live);
        Assert.Equal(200, (int)live.StatusCode);
    }

    private static void Authenticate(HttpRequestMessage request, string credentials)
    {
        switch (credentials)
        {
            case "cron":
                request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
                break;
            case "admin":
                request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
                break;
            case "wrong":
                request.Headers.Add("X-CRON-SECRET", s_wrongSecret);
                request.Headers.Add("X-ADMIN-SECRET", s_wrongSecret);
                break;
            case "bearer-mismatch":
                request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", s_wrongSecret);
                break;
            case "basic":
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("cron:" + TestEnvironment.CronSecret)));
                break;
            default:
                break;
        }
    }

    /// <summary>Everything a refused request must leave untouched.</summary>
    private async Task<string> SnapshotAsync() =>
        $"runs={await fixture.CountAsync("weekly_runs")} fences={await fixture.CountAsync("weekly_lock_fences")} " +
        $"aggregates={await fixture.CountAsync("weekly_aggregates")} series={await fixture.CountAsync("team_series")} " +
        $"interpretations={await fixture.CountAsync("weekly_interpretations")} jobs={await fixture.CountAsync("scheduled_job_executions")} " +
        $"locks={string.Join(',', await fixture.ListBlobsAsync(fixture.LockContainer))} attribution={(await fixture.ListBlobsAsync(fixture.AttributionContainer)).Count}";
}
