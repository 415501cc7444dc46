using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace InPsyq.Weekly.Tests.Http;

/// <summary>
/// Entra ID access tokens instead of the shared secrets, over real HTTP against the standalone host, with
/// <see cref="LocalOpenIdIssuer"/> as the tenant: a genuine token with the endpoint's app role is in, a forged, stale
/// or misdirected one is 401 like a wrong secret, and a genuine one without the role is 403.
/// </summary>
public sealed class EntraTokenTests(EntraTokenTests.Fixture fixture) : IClassFixture<EntraTokenTests.Fixture>
{
    public sealed class Fixture : IntegrationFixture
    {
        public LocalOpenIdIssuer Issuer { get; private set; } = null!;

        public RunningServer Server { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await new TenantBuilder(DataSource).AddOrgAsync(1);
            Issuer = await LocalOpenIdIssuer.StartAsync();
            Server = await StartServerAsync(new Dictionary<string, string?>
            {
                ["AUTH_ENTRA_TENANT_ID"] = LocalOpenIdIssuer.TenantId,
                ["AUTH_ENTRA_AUDIENCE"] = LocalOpenIdIssuer.ClientId,
                ["AUTH_ENTRA_AUTHORITY"] = Issuer.Authority,
            });
        }

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            await Issuer.DisposeAsync();
        }
    }

    private const string DryRun = """{"dry_run":true}""";
    private const string OtherTenant = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    public static TheoryData<string> ForgedOrMisdirected() =>
    [
        "expired", "not yet valid", "no expiry", "wrong audience", "another tenant's issuer", "an unknown issuer", "another tenant's tid",
        "no tid", "signed by an unpublished key", "tampered payload", "alg none", "HS256 keyed with the public key", "not a JWT at all",
    ];

    [Fact]
    public async Task A_token_with_the_role_opens_the_run_endpoint_and_its_status_url()
    {
        using var run = await SendAsync(HttpMethod.Post, "/api/internal/run-weekly", fixture.Issuer.Token("Weekly.Run"), DryRun);
        using var status = await SendAsync(HttpMethod.Get, $"/api/internal/run-weekly/{Guid.NewGuid()}", fixture.Issuer.Token("Weekly.Run"));

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, "RUN_NOT_FOUND"), (status.StatusCode, await ErrorOfAsync(status)));
    }

    [Theory]
    [InlineData("/api/internal/health/weekly")]
    [InlineData("/api/internal/diag/weekly-runs")]
    [InlineData("/api/internal/diag/jobs")]
    public async Task A_token_with_the_admin_role_opens_the_admin_endpoints(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, path, fixture.Issuer.Token("Weekly.Admin"));

        Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotEqual(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(ForgedOrMisdirected))]
    public async Task A_forged_stale_or_misdirected_token_is_401_like_a_wrong_secret(string flaw)
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/internal/run-weekly", TokenWith(flaw), DryRun);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"error":"UNAUTHORIZED","message":"Authentication required.","field":null}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("POST", "/api/internal/run-weekly", "Weekly.Admin", "Weekly.Run")]
    [InlineData("GET", "/api/internal/diag/weekly-runs", "Weekly.Run", "Weekly.Admin")]
    [InlineData("POST", "/api/internal/jobs/run-reaper/run", "", "Weekly.Admin")]
    public async Task A_genuine_token_without_the_endpoints_role_is_403_naming_the_role(string method, string path, string role, string required)
    {
        var roles = role.Length == 0 ? [] : new[] { role };

        using var response = await SendAsync(new HttpMethod(method), path, fixture.Issuer.Token(roles), DryRun);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(
            $$"""{"error":"FORBIDDEN","message":"The token lacks the app role {{required}}, which this endpoint requires.","field":null}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_valid_token_does_not_excuse_a_wrong_secret_header_sent_with_it()
    {
        using var request = Request(HttpMethod.Post, "/api/internal/run-weekly", fixture.Issuer.Token("Weekly.Run"), DryRun);
        request.Headers.Add("X-CRON-SECRET", "wrong-secret-wrong-secret-wrong-secret-42");

        using var response = await fixture.Server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_audit_row_records_the_callers_object_id_and_client_app_for_v2_and_v1_tokens()
    {
        var v1 = fixture.Issuer.Token(descriptor =>
        {
            // A v1 token: the public cloud's issuer, the App ID URI as audience, the client as appid.
            descriptor.Issuer = LocalOpenIdIssuer.V1Issuer;
            descriptor.Audience = $"api://{LocalOpenIdIssuer.ClientId}";
            descriptor.Claims.Remove("azp");
            descriptor.Claims["appid"] = "7c6b5a49-3827-4165-9483-72615a4b3c2d";
            descriptor.Claims["ver"] = "1.0";
        });

        using var byV2 = await SendAsync(HttpMethod.Post, "/api/internal/run-weekly", fixture.Issuer.Token("Weekly.Run"), """{"mode":"PIPELINE_ONLY","week_offset":-3}""");
        using var byV1 = await SendAsync(HttpMethod.Post, "/api/internal/run-weekly", v1, """{"mode":"PIPELINE_ONLY","week_offset":-4}""");
        using var bySecret = Request(HttpMethod.Post, "/api/internal/run-weekly", token: null, """{"mode":"PIPELINE_ONLY","week_offset":-5}""");
        bySecret.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
        using var bySecretResponse = await fixture.Server.Client.SendAsync(bySecret);

        Assert.All([byV2, byV1, bySecretResponse], response => Assert.True((int)response.StatusCode is 200 or 202, response.StatusCode.ToString()));
        var callers = await CallersAsync();
        Assert.Equal((LocalOpenIdIssuer.CallerObjectId, LocalOpenIdIssuer.CallerAppId), callers[await RunIdOfAsync(byV2)]);
        Assert.Equal((LocalOpenIdIssuer.CallerObjectId, "7c6b5a49-3827-4165-9483-72615a4b3c2d"), callers[await RunIdOfAsync(byV1)]);
        Assert.Equal((null, null), callers[await RunIdOfAsync(bySecretResponse)]);
    }

    [Fact]
    public async Task A_weekly_run_started_through_the_job_endpoint_with_an_admin_token_records_its_caller_too()
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/internal/jobs/weekly-run/run", fixture.Issuer.Token("Weekly.Admin"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var runId = body.RootElement.GetProperty("data").GetProperty("run_id").GetGuid();
        Assert.Equal((LocalOpenIdIssuer.CallerObjectId, LocalOpenIdIssuer.CallerAppId), (await CallersAsync())[runId]);
    }

    [Fact]
    public async Task When_the_tenants_openid_metadata_cannot_be_fetched_a_token_is_503_not_401()
    {
        var unreachable = $"http://127.0.0.1:{Reliability.ChildHost.FreePort()}";
        var server = await fixture.StartServerAsync(new Dictionary<string, string?>
        {
            ["AUTH_ENTRA_TENANT_ID"] = LocalOpenIdIssuer.TenantId,
            ["AUTH_ENTRA_AUDIENCE"] = LocalOpenIdIssuer.ClientId,
            ["AUTH_ENTRA_AUTHORITY"] = unreachable,
        });
        using var request = Request(HttpMethod.Get, "/api/internal/health/weekly", fixture.Issuer.Token("Weekly.Admin"));

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("AUTH_UNAVAILABLE", await ErrorOfAsync(response));
    }

    [Fact]
    public async Task A_token_signed_with_a_newly_published_key_is_accepted_once_its_key_id_made_the_metadata_refresh()
    {
        using (var before = await SendAsync(HttpMethod.Post, "/api/internal/run-weekly", fixture.Issuer.Token("Weekly.Run"), DryRun))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var requestsBefore = fixture.Issuer.MetadataRequests;
        var token = fixture.Issuer.Token(descriptor => descriptor.SigningCredentials = fixture.Issuer.PublishKey());

        // The unknown key id asks the configuration manager for a refresh, which it makes in the background.
        await Eventually.UntilAsync(async () =>
        {
            using var response = await SendAsync(HttpMethod.Post, "/api/internal/run-weekly", token, DryRun);
            return response.StatusCode == HttpStatusCode.OK;
        }, "the token signed with the new key is accepted", within: TimeSpan.FromSeconds(10), poll: TimeSpan.FromMilliseconds(100));
        Assert.True(fixture.Issuer.MetadataRequests > requestsBefore, "the metadata was fetched again");
    }

    private string TokenWith(string flaw)
    {
        var issuer = fixture.Issuer;
        var now = DateTime.UtcNow;
        return flaw switch
        {
            "expired" => issuer.Token(token => (token.IssuedAt, token.NotBefore, token.Expires) = (now.AddHours(-2), now.AddHours(-2), now.AddMinutes(-5))),
            "not yet valid" => issuer.Token(token => (token.NotBefore, token.Expires) = (now.AddMinutes(10), now.AddHours(1))),
            "no expiry" => issuer.Token(token => token.Expires = null),
            "wrong audience" => issuer.Token(token => token.Audience = "api://some-other-app"),
            "another tenant's issuer" => issuer.Token(token => token.Issuer = $"{issuer.Authority}/{OtherTenant}/v2.0"),
            "an unknown issuer" => issuer.Token(token => token.Issuer = "https://issuer.example.com/"),
            "another tenant's tid" => issuer.Token(token => token.Claims["tid"] = OtherTenant),
            "no tid" => issuer.Token(token => token.Claims.Remove("tid")),
            "signed by an unpublished key" => issuer.Token(token => token.SigningCredentials = UnpublishedKeyWithTheSameId()),
            "tampered payload" => Tampered(issuer.Token("Weekly.Admin")),
            "alg none" => issuer.UnsignedToken(),
            "HS256 keyed with the public key" => issuer.PublicKeyHmacToken(),
            "not a JWT at all" => "a.b.c",
            _ => throw new ArgumentOutOfRangeException(nameof(flaw), flaw, null),
        };
    }

    /// <summary>A key the issuer never published, claiming the published key's id.</summary>
    private SigningCredentials UnpublishedKeyWithTheSameId()
    {
        var published = (RsaSecurityKey)fixture.Issuer.Signing.Key;
        return new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)) { KeyId = published.KeyId }, SecurityAlgorithms.RsaSha256);
    }

    /// <summary>A genuine token whose payload was swapped for another's (roles changed), the signature kept.</summary>
    private string Tampered(string genuine)
    {
        var parts = genuine.Split('.');
        var other = fixture.Issuer.Token("Weekly.Run").Split('.');
        return $"{parts[0]}.{other[1]}.{parts[2]}";
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, string? body = null) =>
        fixture.Server.Client.SendAsync(Request(method, path, token, body));

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null && method == HttpMethod.Post)
        {
            request.Content = new StringContent(body);
        }

        return request;
    }

    private static async Task<string?> ErrorOfAsync(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("error").GetString();
    }

    private static async Task<Guid> RunIdOfAsync(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("run_id").GetGuid();
    }

    private async Task<Dictionary<Guid, (string? Oid, string? AppId)>> CallersAsync()
    {
        var callers = new Dictionary<Guid, (string?, string?)>();
        await using var command = fixture.DataSource.CreateCommand("select run_id, caller_oid, caller_app_id from weekly_runs");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            callers[reader.GetGuid(0)] = (reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        return callers;
    }
}
