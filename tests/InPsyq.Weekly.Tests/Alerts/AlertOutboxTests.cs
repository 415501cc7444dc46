using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using InPsyq.Weekly.Alerts;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.Alerts;

/// <summary>
/// Delivery through <c>alert_outbox</c>, the reaper's retries on a fake clock, alerting without a URL or without
/// Postgres. Every test leaves its messages sent or failed, so the next test's delivery pass sees only its own.
/// </summary>
public sealed class AlertOutboxTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>, IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task A_rejected_alert_stays_pending_until_a_delivery_pass_after_its_backoff_sends_it()
    {
        _receiver.Mode = ReceiverMode.Fail;
        var (alerts, time) = Services(AlertTesting.Settings(_receiver.Url));
        var week = Week(11);

        Assert.True(await alerts.RaiseAsync(AlertKind.RunAbandoned, "all", week, Guid.NewGuid(), "Run abandoned.", CancellationToken.None));

        var row = Assert.Single(await AlertRows.OutboxAsync(fixture.DataSource, week.Monday));
        Assert.Equal(("pending", 1, "HTTP 500"), (row.Status, row.Attempts, row.LastError));
        Assert.Equal(time.GetUtcNow().AddMinutes(1), row.NextAttemptAt!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Equal(new AlertDeliveryResult(0, 0, 0), await alerts.DeliverPendingAsync(CancellationToken.None));

        _receiver.Mode = ReceiverMode.Accept;
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new AlertDeliveryResult(1, 0, 0), await alerts.DeliverPendingAsync(CancellationToken.None));

        row = Assert.Single(await AlertRows.OutboxAsync(fixture.DataSource, week.Monday));
        Assert.Equal(("sent", 2), (row.Status, row.Attempts));
        Assert.Equal(2, _receiver.Requests.Count);
        // The retry posts the stored jsonb: the same document, re-serialised.
        var bodies = _receiver.Requests.Select(request => JsonNode.Parse(request.Body)).ToList();
        Assert.True(JsonNode.DeepEquals(bodies[0], bodies[1]));
        Assert.False(await alerts.RaiseAsync(AlertKind.RunAbandoned, "all", week, Guid.NewGuid(), "Run abandoned.", CancellationToken.None));
        Assert.Equal(2, _receiver.Requests.Count);
    }

    [Fact]
    public async Task An_alert_the_receiver_keeps_rejecting_is_failed_after_the_maximum_attempts()
    {
        _receiver.Mode = ReceiverMode.Fail;
        var (alerts, time) = Services(AlertTesting.Settings(_receiver.Url, ("ALERT_WEBHOOK_MAX_ATTEMPTS", "3")));
        var week = Week(12);

        await alerts.RaiseAsync(AlertKind.WeekMissed, "all", week, null, "Week missed.", CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new AlertDeliveryResult(0, 1, 0), await alerts.DeliverPendingAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new AlertDeliveryResult(0, 0, 0), await alerts.DeliverPendingAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new AlertDeliveryResult(0, 0, 1), await alerts.DeliverPendingAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(new AlertDeliveryResult(0, 0, 0), await alerts.DeliverPendingAsync(CancellationToken.None));

        var row = Assert.Single(await AlertRows.OutboxAsync(fixture.DataSource, week.Monday));
        Assert.Equal(("failed", 3, "HTTP 500", (DateTimeOffset?)null), (row.Status, row.Attempts, row.LastError, row.NextAttemptAt));
        Assert.Equal(3, _receiver.Requests.Count);
    }

    [Fact]
    public async Task Without_a_url_nothing_is_queued_but_the_incident_is_kept_and_recovers_once_a_url_is_set()
    {
        var week = Week(13);
        var (unconfigured, _) = Services(AlertTesting.Settings(url: null));

        Assert.True(await unconfigured.RaiseAsync(AlertKind.WeekMissed, "all", week, null, "Week missed.", CancellationToken.None));
        Assert.False(await unconfigured.RaiseAsync(AlertKind.WeekMissed, "all", week, null, "Week missed.", CancellationToken.None));
        Assert.Equal(new AlertDeliveryResult(0, 0, 0), await unconfigured.DeliverPendingAsync(CancellationToken.None));
        Assert.Empty(await AlertRows.OutboxAsync(fixture.DataSource, week.Monday));
        Assert.True(Assert.Single(await AlertRows.IncidentsAsync(fixture.DataSource, week.Monday)).Open);

        var (configured, _) = Services(AlertTesting.Settings(_receiver.Url));
        await ResolveAsync(configured, AlertKinds.WeekMissedGroup, week);

        var row = Assert.Single(await AlertRows.OutboxAsync(fixture.DataSource, week.Monday));
        Assert.Equal(("recovery", "sent"), (row.Kind, row.Status));
        Assert.Single(_receiver.Requests);
    }

    [Fact]
    public async Task When_postgres_is_unreachable_incidents_are_deduplicated_in_memory_and_nothing_throws()
    {
        var settings = AlertTesting.Settings(_receiver.Url);
        settings["POSTGRES_CONNECTION_STRING"] = $"Host=127.0.0.1;Port={ClosedPort()};Database=none;Username=none;Password=none;Timeout=2";
        var (alerts, _) = Services(settings);
        var week = Week(14);

        Assert.True(await alerts.RaiseAsync(AlertKind.RunAbandoned, "all", week, Guid.NewGuid(), "Run abandoned.", CancellationToken.None));
        Assert.False(await alerts.RaiseAsync(AlertKind.RunAbandoned, "all", week, Guid.NewGuid(), "Run abandoned.", CancellationToken.None));
        Assert.Single(_receiver.Requests);

        await ResolveAsync(alerts, AlertKinds.RunProblemGroup, week);
        await ResolveAsync(alerts, AlertKinds.RunProblemGroup, week);
        Assert.Equal(2, _receiver.Requests.Count);
        Assert.Contains("Weekly run recovered", _receiver.Requests.Last().Body, StringComparison.Ordinal);

        Assert.True(await alerts.RaiseAsync(AlertKind.RunAbandoned, "all", week, Guid.NewGuid(), "Run abandoned again.", CancellationToken.None));
        Assert.Equal(3, _receiver.Requests.Count);
    }

    [Fact]
    public async Task The_webhook_url_appears_in_no_log_line_and_no_alert_row()
    {
        _receiver.Mode = ReceiverMode.Fail;
        var logs = new CapturingLoggerProvider();
        var week = Week(15);
        var (rejected, _) = Services(AlertTesting.Settings(_receiver.Url, ("ALERT_WEBHOOK_MAX_ATTEMPTS", "1")), logs);
        var unreachableUrl = $"http://127.0.0.1:{ClosedPort()}/services/T0001/B0001/{WebhookReceiver.SecretToken}";
        var (unreachable, _) = Services(AlertTesting.Settings(unreachableUrl, ("ALERT_WEBHOOK_MAX_ATTEMPTS", "1")), logs);

        await rejected.RaiseAsync(AlertKind.RunAbandoned, "all", week, Guid.NewGuid(), "Run abandoned.", CancellationToken.None);
        await unreachable.RaiseAsync(AlertKind.WeekMissed, "all", week, null, "Week missed.", CancellationToken.None);

        var rows = await AlertRows.OutboxAsync(fixture.DataSource, week.Monday);
        Assert.Equal(["HTTP 500", "request failed (ConnectionError)"], rows.Select(row => row.LastError));
        Assert.Contains(logs.Lines, line => line.Contains("HTTP 500", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, line => line.Contains("ConnectionError", StringComparison.Ordinal));
        var written = logs.Lines.Concat(rows.Select(row => $"{row.LastError} {row.Payload}")).ToList();
        Assert.All(written, line =>
        {
            Assert.DoesNotContain(WebhookReceiver.SecretToken, line, StringComparison.Ordinal);
            Assert.DoesNotContain("/services/", line, StringComparison.Ordinal);
        });
    }

    private (AlertService Alerts, FakeTimeProvider Time) Services(Dictionary<string, string?> settings, ILoggerProvider? logs = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var provider = fixture.CreateServices(settings, services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time)), logs);
        return (provider.GetRequiredService<AlertService>(), time);
    }

    private static IsoWeek Week(int weeksAgo) => IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-weeksAgo);

    /// <summary>What a completed unscoped run does: resolve the week's incidents of the group and send their recoveries.</summary>
    private static async Task ResolveAsync(AlertService alerts, string group, IsoWeek week)
    {
        var sends = await alerts.ResolveAsync([group], "all", week, Guid.NewGuid(),
            incident => new AlertMessage(AlertKind.Recovery, incident.Key.Scope, week, null, $"The {incident.Kind.ToWire()} incident is resolved."),
            CancellationToken.None);
        await alerts.SendInlineAsync(sends, CancellationToken.None);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
