using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Health;
using InPsyq.Weekly.Hosting;
using InPsyq.Weekly.Http;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
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
    public async Task A_hung_queue_endpoint_makes_work_queue_unhealthy_within_the_timeout()
    {
        using var hung = new HungListener();
        var (status, report, text, elapsed) = await CheckAsync(new()
        {
            ["BLOB_CONNECTION_STRING"] = TestEnvironment.BlobConnectionString.Replace(":10101/", $":{hung.Port}/", StringComparison.Ordinal),
        });

        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(TimeoutSeconds + 1));
        Assert.Equal(503, status);
        Assert.Equal(HealthStatus.Unhealthy, report.Checks["work_queue"].Status);
        Assert.Contains("No answer within 2 s", report.Checks["work_queue"].Message, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, report.Checks["blob_storage"].Status);
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

    [Fact]
    public async Task Checks_that_ignore_cancellation_time_out_side_by_side_not_one_after_the_other()
    {
        string[] stuck = ["stuck_a", "stuck_b", "stuck_c"];
        var (status, report, _, elapsed) = await CheckAsync(new(), checks =>
        {
            foreach (var name in stuck)
            {
                checks.AddCheck(name, new NeverAnswers(), tags: [WeeklyHealthChecks.Tag]);
            }
        });

        // One after the other they would take three timeouts.
        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(TimeoutSeconds + 1));
        Assert.Equal(503, status);
        Assert.All(stuck, name =>
        {
            Assert.Equal(HealthStatus.Unhealthy, report.Checks[name].Status);
            Assert.Equal("No answer within 2 s.", report.Checks[name].Message);
            Assert.InRange(report.Checks[name].DurationMs, (TimeoutSeconds * 1000) - 100, (TimeoutSeconds + 1) * 1000);
        });
        Assert.Equal(HealthStatus.Healthy, report.Checks["postgres"].Status);
    }

    [Fact]
    public async Task A_check_that_throws_is_unhealthy_and_shows_only_the_type_of_its_exception()
    {
        var failure = new InvalidOperationException("Failed to connect to db.internal.example:5432");
        var (status, report, text, _) = await CheckAsync(new(), checks => checks.AddCheck("throws", new Throws(failure), tags: [WeeklyHealthChecks.Tag]));

        Assert.Equal(503, status);
        Assert.Equal(HealthStatus.Unhealthy, report.Checks["throws"].Status);
        Assert.Equal("The check failed (InvalidOperationException).", report.Checks["throws"].Message);
        Assert.DoesNotContain("db.internal.example", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_checks_tagged_weekly_are_run_and_reported()
    {
        var untagged = new Throws(new InvalidOperationException("not a weekly check"));
        var (_, report, _, _) = await CheckAsync(new(), checks => checks.AddCheck("other", untagged));

        Assert.Equal(["postgres", "blob_storage", "auth", "weekly_run", "locks", "jobs", "work_queue", "llm"], report.Checks.Keys);
        Assert.Equal(0, untagged.Calls);
    }

    [Fact]
    public void Every_weekly_check_has_the_configured_timeout_and_only_llm_is_degraded_when_unanswered()
    {
        var registrations = Services(new() { ["HEALTH_CHECK_TIMEOUT_SECONDS"] = "1.5" })
            .GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;

        var weekly = registrations.Where(WeeklyHealthChecks.IsWeekly).ToList();
        Assert.Equal(8, weekly.Count);
        Assert.All(weekly, registration =>
        {
            Assert.Equal(TimeSpan.FromSeconds(1.5), registration.Timeout);
            Assert.Equal(registration.Name == "llm" ? HealthStatus.Degraded : HealthStatus.Unhealthy, registration.FailureStatus);
        });
    }

    [Fact]
    public void A_check_timeout_that_is_not_positive_is_refused()
    {
        var options = Services(new() { ["HEALTH_CHECK_TIMEOUT_SECONDS"] = "0" }).GetRequiredService<IOptions<HealthOptions>>();

        var failure = Assert.Throws<OptionsValidationException>(() => options.Value);
        Assert.Contains("HEALTH_CHECK_TIMEOUT_SECONDS must be a positive number of seconds (got 0).", failure.Failures);
    }

    private async Task<(int Status, WeeklyHealthReport Report, string Text, TimeSpan Elapsed)> CheckAsync(
        Dictionary<string, string?> overrides, Action<IHealthChecksBuilder>? addChecks = null)
    {
        overrides["HEALTH_CHECK_TIMEOUT_SECONDS"] = TimeoutSeconds.ToString(CultureInfo.InvariantCulture);
        var services = Services(overrides, addChecks);

        var stopwatch = Stopwatch.StartNew();
        // Bounded, so an endpoint that waits for a stuck check fails the test instead of hanging it.
        var response = (JsonResponse)await services.GetRequiredService<WeeklyHealthEndpoint>()
            .HandleAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        stopwatch.Stop();

        var report = (WeeklyHealthReport)response.Body;
        return (response.StatusCode, report, JsonSerializer.Serialize(report, WeeklyJson.Options), stopwatch.Elapsed);
    }

    private ServiceProvider Services(Dictionary<string, string?> overrides, Action<IHealthChecksBuilder>? addChecks = null)
    {
        var settings = fixture.Settings;
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        // The HTTP handlers without a host: the run endpoint needs a host lifetime, which no check touches.
        return fixture.CreateServices(settings, services =>
        {
            services.AddSingleton(Substitute.For<IHostApplicationLifetime>()).AddInPsyqWeeklyHttp(configuration);
            addChecks?.Invoke(services.AddHealthChecks());
        });
    }

    /// <summary>A check whose client ignores cancellation and never answers.</summary>
    private sealed class NeverAnswers : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            new TaskCompletionSource<HealthCheckResult>().Task;
    }

    private sealed class Throws(Exception failure) : IHealthCheck
    {
        public int Calls { get; private set; }

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            Calls++;
            throw failure;
        }
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
