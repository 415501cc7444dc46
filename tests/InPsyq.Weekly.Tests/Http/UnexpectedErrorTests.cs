using System.Globalization;
using System.Net;
using System.Text.Json;
using InPsyq.Weekly.Tests.Infrastructure;
using Npgsql;

namespace InPsyq.Weekly.Tests.Http;

/// <summary>
/// An exception nobody expected still gets the contract's JSON: 500 <c>INTERNAL_ERROR</c>, no caching, and nothing of
/// the exception (no SQL, no address, no stack trace) outside the log, which has it under the trace id the body names.
/// </summary>
public sealed class UnexpectedErrorTests(UnexpectedErrorTests.Fixture fixture) : IClassFixture<UnexpectedErrorTests.Fixture>
{
    public sealed class Fixture : IntegrationFixture
    {
        public CapturingLoggerProvider Logs { get; } = new();

        public RunningServer Server { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Server = await StartServerAsync(logs: Logs);
            // The class's own database loses the run history: every statement on it now fails inside Postgres.
            await using var command = DataSource.CreateCommand("alter table weekly_runs rename to weekly_runs_elsewhere");
            await command.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task An_unexpected_exception_is_a_JSON_500_INTERNAL_ERROR_with_no_store_and_no_detail()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/internal/diag/weekly-runs");
        request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);

        using var response = await fixture.Server.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var body = JsonDocument.Parse(text);
        Assert.Equal("INTERNAL_ERROR", body.RootElement.GetProperty("error").GetString());
        foreach (var detail in new[] { "weekly_runs", "42P01", "127.0.0.1", new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString).Port.ToString(CultureInfo.InvariantCulture), " at ", "Exception" })
        {
            Assert.DoesNotContain(detail, text, StringComparison.Ordinal);
        }

        var traceId = TraceIdIn(body.RootElement.GetProperty("message").GetString()!);
        Assert.Contains(fixture.Logs.Lines, line =>
            line.Contains($"Request to WeeklyRunsDiag failed unexpectedly (trace id {traceId})", StringComparison.Ordinal)
            && line.Contains("42P01", StringComparison.Ordinal));
    }

    private static string TraceIdIn(string message)
    {
        const string Marker = "trace id ";
        var start = message.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length;
        return message[start..].TrimEnd('.');
    }
}
