using System.Net;
using System.Text.Json;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Security;
using InPsyq.Weekly.Tests.Infrastructure;

namespace InPsyq.Weekly.Tests.Http;

/// <summary>
/// The route table as the standalone host serves it, row by row: the method and the secret are checked once for
/// every row, and no query parameter reaches an endpoint with a control character in it.
/// </summary>
public sealed class WeeklyApiTests(WeeklyApiTests.Fixture fixture) : IClassFixture<WeeklyApiTests.Fixture>
{
    public sealed class Fixture : IntegrationFixture
    {
        public RunningServer Server { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Server = await StartServerAsync();
        }
    }

    public static TheoryData<string> RouteNames() => [.. WeeklyApi.Routes.Select(route => route.Name)];

    [Theory]
    [MemberData(nameof(RouteNames))]
    public async Task Every_route_answers_another_method_with_405_naming_its_own(string name)
    {
        var route = WeeklyApi.Routes.Single(route => route.Name == name);
        var other = route.Method == HttpMethod.Get.Method ? HttpMethod.Delete : HttpMethod.Get;

        using var response = await SendAsync(other, route, route.Secret);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal([route.Method], response.Content.Headers.Allow);
        Assert.Equal(("METHOD_NOT_ALLOWED", null), await ErrorOfAsync(response));
    }

    [Theory]
    [MemberData(nameof(RouteNames))]
    public async Task Every_route_with_a_secret_refuses_a_request_without_it_and_the_other_routes_need_none(string name)
    {
        var route = WeeklyApi.Routes.Single(route => route.Name == name);

        using var response = await SendAsync(new HttpMethod(route.Method), route, secret: null);

        if (route.Secret is null)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(("UNAUTHORIZED", null), await ErrorOfAsync(response));
        }
    }

    [Theory]
    [InlineData("internal/diag/weekly-runs?status=%00", "status")]
    [InlineData("internal/diag/weekly-runs?trigger=http%00", "trigger")]
    [InlineData("internal/diag/jobs?job_id=%00run-reaper", "job_id")]
    [InlineData("internal/diag/jobs?status=failed%00", "status")]
    [InlineData("internal/diag/jobs?job_id=run%01reaper", "job_id")]
    public async Task A_control_character_in_a_query_parameter_is_400_INVALID_QUERY_naming_it(string pathAndQuery, string parameter)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/" + pathAndQuery);
        request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);

        using var response = await fixture.Server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(("INVALID_QUERY", parameter), await ErrorOfAsync(response));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, ApiRoute route, SecretKind? secret)
    {
        var path = "/api/" + route.Pattern.Replace("{id}", "run-reaper", StringComparison.Ordinal)
            .Replace("{runId}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
        var request = new HttpRequestMessage(method, path);
        switch (secret)
        {
            case SecretKind.Cron:
                request.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
                break;
            case SecretKind.Admin:
                request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
                break;
        }

        return fixture.Server.Client.SendAsync(request);
    }

    private static async Task<(string? Code, string? Field)> ErrorOfAsync(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("error").GetString(), body.RootElement.GetProperty("field").GetString());
    }
}
