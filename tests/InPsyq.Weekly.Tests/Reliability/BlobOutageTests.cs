using System.Diagnostics;
using System.Net;
using System.Text.Json;
using InPsyq.Weekly.Tests.Infrastructure;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>Blob storage (a private Azurite) stops: run-weekly answers 503 without starting, and health says unhealthy in time.</summary>
[Collection(ReliabilityTests.Name)]
public sealed class BlobOutageTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task With_Azurite_stopped_run_weekly_is_503_without_a_run_and_health_is_unhealthy_within_its_timeout()
    {
        await using var azurite = await PrivateAzurite.StartAsync();
        await using var server = await fixture.StartServerAsync(new Dictionary<string, string?>
        {
            ["BLOB_CONNECTION_STRING"] = azurite.ConnectionString,
            ["HEALTH_CHECK_TIMEOUT_SECONDS"] = "1",
        });
        azurite.Stop();

        using var run = new HttpRequestMessage(HttpMethod.Post, "/api/internal/run-weekly");
        run.Headers.Add("X-CRON-SECRET", TestEnvironment.CronSecret);
        using var refused = await server.Client.SendAsync(run);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("DEPENDENCY_UNAVAILABLE", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal(TimeSpan.FromSeconds(30), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(0, await fixture.CountAsync("weekly_runs"));
        Assert.Equal(0, await fixture.CountAsync("weekly_lock_fences"));

        using var health = new HttpRequestMessage(HttpMethod.Get, "/api/internal/health/weekly");
        health.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
        var started = Stopwatch.StartNew();
        using var response = await server.Client.SendAsync(health);
        var elapsed = started.Elapsed;
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        Assert.Equal("unhealthy", body.GetProperty("checks").GetProperty("blob_storage").GetProperty("status").GetString());
        // The check timeout is 1 s; the bound is generous for a loaded 2-core machine.
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"health took {elapsed}");
    }
}
