using System.Net;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Tests.Http;

public sealed class AuthTests(AuthTests.Fixture fixture) : IClassFixture<AuthTests.Fixture>
{
    public sealed class Fixture : IntegrationFixture
    {
        public CapturingLoggerProvider Logs { get; } = new();

        public RunningServer Server { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            // A provider-specific level too: neither may bring back the hosting's full request URLs.
            Server = await StartServerAsync(
                new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace", [$"Logging:{typeof(CapturingLoggerProvider).FullName}:LogLevel:Default"] = "Trace" }, logs: Logs);
        }
    }

    public static TheoryData<string, string?, string?> RejectedCredentials() => new()
    {
        { "none", null, null },
        { "wrong header", "X-CRON-SECRET", "wrong-secret-wrong-secret-wrong-secret-42" },
        { "admin secret on the run endpoint", "X-CRON-SECRET", TestEnvironment.AdminSecret },
        { "admin header name", "X-ADMIN-SECRET", TestEnvironment.AdminSecret },
        { "wrong bearer", "Authorization", "Bearer wrong-secret-wrong-secret-wrong-secret-42" },
        { "basic scheme", "Authorization", "Basic " + TestEnvironment.CronSecret },
        { "secret with a suffix", "X-CRON-SECRET", TestEnvironment.CronSecret + "x" },
        { "secret prefix", "X-CRON-SECRET", TestEnvironment.CronSecret[..20] },
    };

    [Theory]
    [MemberData(nameof(RejectedCredentials))]
    public async Task Missing_or_wrong_secrets_get_401_with_no_detail(string _, string? header, string? value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/internal/run-weekly");
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        using var response = await fixture.Server.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"error":"UNAUTHORIZED","message":"Authentication required.","field":null}""", body);
        Assert.Equal(0, await fixture.CountAsync("weekly_runs"));
    }

    [Fact]
    public async Task When_both_headers_are_sent_both_must_match()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/internal/run-weekly?dry") { Content = new StringContent("{\"dry_run\":true}") };
        request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer not-the-secret-not-the-secret-not-the-secret");
        using var response = await fixture.Server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("X-CRON-SECRET", TestEnvironment.CronSecret)]
    [InlineData("Authorization", "Bearer " + TestEnvironment.CronSecret)]
    public async Task The_cron_secret_is_accepted_as_header_or_bearer_token(string header, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/internal/run-weekly") { Content = new StringContent("{\"dry_run\":true}") };
        request.Headers.TryAddWithoutValidation(header, value);
        using var response = await fixture.Server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_admin_endpoints_take_the_admin_secret_and_refuse_the_cron_secret()
    {
        using var withCron = new HttpRequestMessage(HttpMethod.Get, "/api/internal/diag/weekly-runs");
        withCron.Headers.Add("X-ADMIN-SECRET", TestEnvironment.CronSecret);
        using var refused = await fixture.Server.Client.SendAsync(withCron);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var withAdmin = new HttpRequestMessage(HttpMethod.Get, "/api/internal/diag/weekly-runs");
        withAdmin.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
        using var accepted = await fixture.Server.Client.SendAsync(withAdmin);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Secrets_never_appear_in_the_logs_of_failing_or_succeeding_requests()
    {
        foreach (var (header, value) in new[] { ("X-CRON-SECRET", TestEnvironment.CronSecret + "-wrong"), ("X-CRON-SECRET", TestEnvironment.CronSecret) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/internal/run-weekly") { Content = new StringContent("{\"mode\":\"nope\"}") };
            request.Headers.Add(header, value);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestEnvironment.AdminSecret);
            using var response = await fixture.Server.Client.SendAsync(request);
            Assert.True((int)response.StatusCode is 400 or 401);
        }

        Assert.NotEmpty(fixture.Logs.Lines);
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(TestEnvironment.CronSecret[..24], StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(TestEnvironment.AdminSecret[..24], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Request_logs_name_the_path_but_never_a_query_string_value()
    {
        const string QueryValue = "query-value-that-must-not-be-logged-7f3a";
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/api/internal/diag/jobs"), (HttpMethod.Post, "/api/internal/run-weekly") })
        {
            using var request = new HttpRequestMessage(method, $"{path}?secret={QueryValue}&code={QueryValue}") { Content = new StringContent("{\"dry_run\":true}") };
            request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
            request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
            using var response = await fixture.Server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Eventually.UntilAsync(
            () => fixture.Logs.Lines.Any(line => line.Contains("/api/internal/run-weekly", StringComparison.Ordinal))
                  && fixture.Logs.Lines.Any(line => line.Contains("/api/internal/diag/jobs", StringComparison.Ordinal)),
            "both requests are logged with their paths");
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(QueryValue, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, TestEnvironment.AdminSecret, "INTERNAL_CRON_SECRET is required")]
    [InlineData("short", TestEnvironment.AdminSecret, "INTERNAL_CRON_SECRET must be at least 32 characters")]
    [InlineData(TestEnvironment.CronSecret, null, "INTERNAL_ADMIN_SECRET is required")]
    [InlineData(TestEnvironment.CronSecret, TestEnvironment.CronSecret, "must be different")]
    public async Task The_host_refuses_to_start_without_two_good_secrets(string? cron, string? admin, string expected)
    {
        var settings = new Dictionary<string, string?> { ["INTERNAL_CRON_SECRET"] = cron ?? string.Empty, ["INTERNAL_ADMIN_SECRET"] = admin ?? string.Empty };
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => fixture.StartServerAsync(settings));
        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestEnvironment.CronSecret, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestEnvironment.AdminSecret, failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("INTERNAL_CRON_SECRET")]
    [InlineData("INTERNAL_ADMIN_SECRET_PREVIOUS")]
    [InlineData("POSTGRES_CONNECTION_STRING")]
    [InlineData("BLOB_CONNECTION_STRING")]
    [InlineData("AZURE_OPENAI_API_KEY")]
    [InlineData("ALERT_WEBHOOK_URL")]
    public async Task An_unresolved_key_vault_reference_in_a_secret_setting_stops_the_host_naming_the_setting(string setting)
    {
        const string Reference = "@Microsoft.KeyVault(SecretUri=https://kv-weekly.vault.azure.net/secrets/some-secret/)";
        var settings = new Dictionary<string, string?>
        {
            ["AZURE_OPENAI_ENDPOINT"] = "https://example.openai.azure.com",
            ["AZURE_OPENAI_DEPLOYMENT"] = "gpt",
            [setting] = Reference,
        };

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => fixture.StartServerAsync(settings));

        Assert.Equal([$"{setting} is an unresolved Key Vault or App Configuration reference, so it counts as missing: check that the secret exists and that the app's identity may read it."], failure.Failures);
    }

    [Fact]
    public async Task Liveness_needs_no_secret()
    {
        using var response = await fixture.Server.Client.GetAsync(new Uri("/api/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"up"}""", await response.Content.ReadAsStringAsync());
    }
}
