using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using InPsyq.Weekly.Health;
using InPsyq.Weekly.Hosting;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NSubstitute;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>
/// A dependency that accepts connections and never answers makes its checks unhealthy within the check timeout
/// instead of hanging the endpoint. The standalone host cannot start against a hung dependency (it migrates and
/// creates containers first), so these tests call the endpoint's handler on a service provider without hosted services.
/// </summary>
public sealed class HealthTimeoutTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private const double TimeoutSeconds = 2;

    [Fact]
    public async Task A_hung_blob_endpoint_makes_blob_checks_unhealthy_within_the_timeout()
    {
        using var hung = new HungListener();
        var (status, report, text, elapsed) = await CheckAsync(new()
        {
            ["BLOB_CONNECTION_STRING"] =
                $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:{hung.Port}/devstoreaccount1;",
        });

        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(TimeoutSeconds + 1));
        Assert.Equal(503, status);
        Assert.Equal(HealthStatus.Unhealthy, report.Checks["blob_storage"].Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Checks["locks"].Status);
        Assert.Contains("No answer within 2 s", report.Checks["blob_storage"].Message, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, report.Checks["postgres"].Status);
        Assert.DoesNotContain("AccountKey", text, StringComparison.Ordinal);
        Assert.DoesNotContain(hung.Port.ToString(CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hung_Postgres_makes_database_checks_unhealthy_within_the_timeout()
    {
        using var hung = new HungListener();
        var (status, report, text, elapsed) = await CheckAsync(new()
        {
            ["POSTGRES_CONNECTION_STRING"] = $"Host=127.0.0.1;Port={hung.Port};Username=inpsyq;Password=hung-secret-password;Database=inpsyq;Timeout=30",
        });

        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(TimeoutSeconds + 1));
        Assert.Equal(503, status);
        foreach (var check in new[] { "postgres", "weekly_run", "locks", "jobs" })
        {
            Assert.Equal(HealthStatus.Unhealthy, report.Checks[check].Status);
        }

        Assert.Equal(HealthStatus.Healthy, report.Checks["blob_storage"].Status);
        Assert.DoesNotContain("hung-secret-password", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hung_LLM_endpoint_only_degrades_health_within_the_timeout()
    {
        using var hung = new HungListener();
        var (status, report, text, elapsed) = await CheckAsync(new()
        {
            ["AZURE_OPENAI_ENDPOINT"] = $"http://127.0.0.1:{hung.Port}/",
            ["AZURE_OPENAI_DEPLOYMENT"] = "gpt-test",
            ["AZURE_OPENAI_API_KEY"] = "hung-llm-api-key-never-shown",
        });

        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(TimeoutSeconds + 1));
        Assert.Equal(HealthStatus.Degraded, report.Checks["llm"].Status);
        Assert.Contains("No answer within 2 s", report.Checks["llm"].Message, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, report.Checks["postgres"].Status);
        Assert.Equal(HealthStatus.Degraded, report.Status);
        Assert.Equal(503, status);
        Assert.DoesNotContain("hung-llm-api-key-never-shown", text, StringComparison.Ordinal);
    }

    private async Task<(int Status, HealthReport Report, string Text, TimeSpan Elapsed)> CheckAsync(Dictionary<string, string?> overrides)
    {
        overrides["HEALTH_CHECK_TIMEOUT_SECONDS"] = TimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        var settings = fixture.Settings;
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        // The HTTP handlers without a host: the run endpoint needs a host lifetime, which no check touches.
        var services = fixture.CreateServices(settings, services => services
            .AddSingleton(Substitute.For<IHostApplicationLifetime>())
            .AddInPsyqWeeklyHttp(configuration));
        var context = new DefaultHttpContext();
        context.Request.Headers["X-ADMIN-SECRET"] = TestEnvironment.AdminSecret;

        var stopwatch = Stopwatch.StartNew();
        var response = (JsonResponse)await services.GetRequiredService<WeeklyHealthEndpoint>().HandleAsync(context.Request, CancellationToken.None);
        stopwatch.Stop();

        var report = (HealthReport)response.Body;
        return (response.StatusCode, report, JsonSerializer.Serialize(report, WeeklyJson.Options), stopwatch.Elapsed);
    }

    /// <summary>A loopback TCP listener that accepts every connection and never sends a byte.</summary>
    private sealed class HungListener : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<Socket> _accepted = [];
        private readonly CancellationTokenSource _stop = new();

        public HungListener()
        {
            _listener.Start();
            _ = AcceptForeverAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_accepted)
            {
                _accepted.ForEach(socket => socket.Dispose());
            }

            _stop.Dispose();
        }

        private async Task AcceptForeverAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    lock (_accepted)
                    {
                        _accepted.Add(socket);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }
    }
}
