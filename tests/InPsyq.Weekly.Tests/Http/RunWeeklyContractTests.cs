using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Tests.Http;

/// <summary>The request contract of POST /api/internal/run-weekly, over real HTTP against the standalone host.</summary>
public sealed class RunWeeklyContractTests(RunWeeklyContractTests.Fixture fixture) : IClassFixture<RunWeeklyContractTests.Fixture>
{
    public sealed class Fixture : IntegrationFixture
    {
        public RunningServer Server { get; private set; } = null!;

        public Guid OrgA { get; private set; }

        public Guid OrgB { get; private set; }

        public Guid TeamOfA { get; private set; }

        public Guid TeamOfB { get; private set; }

        public Guid ArchivedTeamOfA { get; private set; }

        public CapturingLoggerProvider Logs { get; } = new();

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tenants = new TenantBuilder(DataSource);
            (OrgA, var teamsA) = await tenants.AddOrgAsync(2);
            (OrgB, var teamsB) = await tenants.AddOrgAsync(1);
            (TeamOfA, ArchivedTeamOfA, TeamOfB) = (teamsA[0], teamsA[1], teamsB[0]);
            await tenants.ArchiveAsync(ArchivedTeamOfA);
            Server = await StartServerAsync(logs: Logs);
        }
    }

    private static readonly string s_current = IsoWeek.Containing(DateTimeOffset.UtcNow).ToString();
    private static readonly string s_nextWeek = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(1).ToString();
    private static readonly string s_tooOld = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-53).ToString();
    private static readonly string s_tuesday = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-2).Monday.AddDays(1).ToString("yyyy-MM-dd");

    /// <summary>Body, expected status, expected code, expected field (null: not checked). Placeholders: {orgA} {orgB} {teamA} {teamB} {archived}.</summary>
    public static TheoryData<string, int, string, string?> MalformedBodies() => new()
    {
        { "[]", 400, "INVALID_BODY", null },
        { "[{\"mode\":\"FULL\"}]", 400, "INVALID_BODY", null },
        { "null", 400, "INVALID_BODY", null },
        { "\"FULL\"", 400, "INVALID_BODY", null },
        { "42", 400, "INVALID_BODY", null },
        { "true", 400, "INVALID_BODY", null },
        { "{", 400, "INVALID_BODY", null },
        { "{\"mode\": \"FULL\",}", 400, "INVALID_BODY", null },
        { "mode=FULL", 400, "INVALID_BODY", null },
        // A lone UTF-16 surrogate escape is valid JSON but no text, in a value, a key or a UUID field.
        { "{\"mode\":\"\\ud800\"}", 400, "INVALID_BODY", null },
        { "{\"\\udc00\":\"FULL\"}", 400, "INVALID_BODY", null },
        { "{\"org_id\":\"\\ud800\"}", 400, "INVALID_BODY", null },
        { "{\"mode\":\"FULL\",\"mode\":\"PIPELINE_ONLY\"}", 400, "INVALID_BODY", "mode" },
        { "{\"modes\":\"FULL\"}", 400, "UNKNOWN_FIELD", "modes" },
        { "{\"Mode\":\"FULL\"}", 400, "UNKNOWN_FIELD", "Mode" },
        { "{\"dryRun\":true}", 400, "UNKNOWN_FIELD", "dryRun" },
        { "{\"mode\":\"FULL\",\"extra\":1}", 400, "UNKNOWN_FIELD", "extra" },
        { "{\"dry_run\":\"true\"}", 400, "INVALID_TYPE", "dry_run" },
        { "{\"dry_run\":1}", 400, "INVALID_TYPE", "dry_run" },
        { "{\"dry_run\":null}", 400, "INVALID_TYPE", "dry_run" },
        { "{\"force\":\"false\"}", 400, "INVALID_TYPE", "force" },
        { "{\"force\":0}", 400, "INVALID_TYPE", "force" },
        { "{\"week_offset\":\"-1\"}", 400, "INVALID_TYPE", "week_offset" },
        { "{\"week_offset\":-1.0}", 400, "INVALID_TYPE", "week_offset" },
        { "{\"week_offset\":-1.5}", 400, "INVALID_TYPE", "week_offset" },
        { "{\"week_offset\":-1e0}", 400, "INVALID_TYPE", "week_offset" },
        { "{\"week_offset\":null}", 400, "INVALID_TYPE", "week_offset" },
        { "{\"week_offset\":[-1]}", 400, "INVALID_TYPE", "week_offset" },
        { "{\"week_start\":20261116}", 400, "INVALID_TYPE", "week_start" },
        { "{\"week_start\":null}", 400, "INVALID_TYPE", "week_start" },
        { "{\"mode\":null}", 400, "INVALID_TYPE", "mode" },
        { "{\"mode\":1}", 400, "INVALID_TYPE", "mode" },
        { "{\"org_id\":123}", 400, "INVALID_TYPE", "org_id" },
        { "{\"org_id\":{}}", 400, "INVALID_TYPE", "org_id" },
        { "{\"week_offset\":1}", 400, "FUTURE_WEEK", "week_offset" },
        { "{\"week_offset\":5}", 400, "FUTURE_WEEK", "week_offset" },
        { "{\"week_offset\":-53}", 400, "WEEK_OUT_OF_RANGE", "week_offset" },
        { "{\"week_offset\":-99999999999999999999999}", 400, "WEEK_OUT_OF_RANGE", "week_offset" },
        { "{\"week_start\":\"2026-02-30\"}", 400, "INVALID_DATE", "week_start" },
        { "{\"week_start\":\"2026-13-01\"}", 400, "INVALID_DATE", "week_start" },
        { "{\"week_start\":\"16/11/2026\"}", 400, "INVALID_DATE", "week_start" },
        { "{\"week_start\":\"2026-11-16T00:00:00Z\"}", 400, "INVALID_DATE", "week_start" },
        { "{\"week_start\":\"\"}", 400, "INVALID_DATE", "week_start" },
        { "{\"week_start\":\"{tuesday}\"}", 400, "NOT_A_MONDAY", "week_start" },
        { "{\"week_start\":\"{next}\"}", 400, "FUTURE_WEEK", "week_start" },
        { "{\"week_start\":\"{old}\"}", 400, "WEEK_OUT_OF_RANGE", "week_start" },
        { "{\"week_start\":\"{current}\",\"week_offset\":-1}", 400, "AMBIGUOUS_WEEK", null },
        { "{\"mode\":\"full\"}", 400, "INVALID_MODE", "mode" },
        { "{\"mode\":\"FULL \"}", 400, "INVALID_MODE", "mode" },
        { "{\"mode\":\"PIPELINE\"}", 400, "INVALID_MODE", "mode" },
        { "{\"org_id\":\"not-a-uuid\"}", 400, "INVALID_UUID", "org_id" },
        { "{\"org_id\":\"{orgA}\",\"team_id\":\"1234\"}", 400, "INVALID_UUID", "team_id" },
        { "{\"org_id\":\"{{orgA}}\"}", 400, "INVALID_UUID", "org_id" },
        { "{\"team_id\":\"{teamA}\"}", 400, "ORG_REQUIRED", "org_id" },
        { "{\"org_id\":\"00000000-0000-4000-8000-000000000000\"}", 404, "ORG_NOT_FOUND", "org_id" },
        { "{\"org_id\":\"{orgA}\",\"team_id\":\"00000000-0000-4000-8000-000000000000\"}", 404, "TEAM_NOT_FOUND", "team_id" },
        { "{\"org_id\":\"{orgA}\",\"team_id\":\"{teamB}\"}", 404, "TEAM_NOT_FOUND", "team_id" },
        { "{\"org_id\":\"{orgA}\",\"team_id\":\"{archived}\"}", 409, "TEAM_ARCHIVED", "team_id" },
        { "{\"mode\":\"INTERPRETATION_ONLY\"}", 409, "PIPELINE_OUTPUT_MISSING", "mode" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_requests_are_refused_with_their_code_and_write_nothing(string body, int status, string code, string? field)
    {
        var before = await SnapshotAsync();
        using var response = await PostAsync(Expand(body), "application/json");
        var error = await ReadJsonAsync(response);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, error.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.True(error.TryGetProperty("field", out var actualField));
        if (field is not null)
        {
            Assert.Equal(field, actualField.GetString());
        }

        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_body_over_16_KiB_is_413_and_writes_nothing()
    {
        var before = await SnapshotAsync();
        var body = "{\"mode\":\"FULL\",\"pad\":\"" + new string('x', 17 * 1024) + "\"}";
        using var response = await PostAsync(body, "application/json");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("BODY_TOO_LARGE", (await ReadJsonAsync(response)).GetProperty("error").GetString());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Invalid_UTF8_is_400_INVALID_BODY()
    {
        var before = await SnapshotAsync();
        using var content = new ByteArrayContent([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await SendAsync(HttpMethod.Post, content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("INVALID_BODY", (await ReadJsonAsync(response)).GetProperty("error").GetString());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_multipart_body_is_415()
    {
        var before = await SnapshotAsync();
        using var content = new MultipartFormDataContent { { new StringContent("FULL"), "mode" } };
        using var response = await SendAsync(HttpMethod.Post, content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("UNSUPPORTED_MEDIA_TYPE", (await ReadJsonAsync(response)).GetProperty("error").GetString());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Other_methods_are_405_even_before_authentication(string method)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "/api/internal/run-weekly");
        using var response = await fixture.Server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("METHOD_NOT_ALLOWED", (await ReadJsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_runbook_curl_call_with_a_form_content_type_runs_FULL()
    {
        // curl -X POST .../run-weekly -H "X-CRON-SECRET: $INTERNAL_CRON_SECRET" -d '{"mode": "FULL"}'
        using var response = await PostAsync("{\"mode\": \"FULL\"}", "application/x-www-form-urlencoded");
        var report = await ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("FULL", report.GetProperty("mode").GetString());
        Assert.Equal("http", report.GetProperty("trigger").GetString());
        Assert.Equal("completed", report.GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_empty_body_means_all_defaults()
    {
        using var response = await PostAsync(string.Empty, null);
        var report = await ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-1).ToString(), report.GetProperty("week_start").GetString());
        Assert.Equal("FULL", report.GetProperty("mode").GetString());
        Assert.False(report.GetProperty("dry_run").GetBoolean());
        Assert.False(report.GetProperty("force").GetBoolean());
    }

    private string Expand(string body) => body
        .Replace("{orgA}", fixture.OrgA.ToString(), StringComparison.Ordinal)
        .Replace("{orgB}", fixture.OrgB.ToString(), StringComparison.Ordinal)
        .Replace("{teamA}", fixture.TeamOfA.ToString(), StringComparison.Ordinal)
        .Replace("{teamB}", fixture.TeamOfB.ToString(), StringComparison.Ordinal)
        .Replace("{archived}", fixture.ArchivedTeamOfA.ToString(), StringComparison.Ordinal)
        .Replace("{current}", s_current, StringComparison.Ordinal)
        .Replace("{next}", s_nextWeek, StringComparison.Ordinal)
        .Replace("{old}", s_tooOld, StringComparison.Ordinal)
        .Replace("{tuesday}", s_tuesday, StringComparison.Ordinal);

    private Task<HttpResponseMessage> PostAsync(string body, string? contentType)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);
        return SendAsync(HttpMethod.Post, content);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, HttpContent content)
    {
        var request = new HttpRequestMessage(method, "/api/internal/run-weekly") { Content = content };
        request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
        return fixture.Server.Client.SendAsync(request);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>Everything a refused request must leave untouched: audit rows, fences and lock blobs.</summary>
    private async Task<string> SnapshotAsync() =>
        $"runs={await fixture.CountAsync("weekly_runs")} fences={await fixture.CountAsync("weekly_lock_fences")} " +
        $"aggregates={await fixture.CountAsync("weekly_aggregates")} locks={string.Join(',', await fixture.ListBlobsAsync(fixture.LockContainer))}";
}
