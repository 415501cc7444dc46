using System.Diagnostics;
using System.Text.Json;
using InPsyq.Weekly.Alerts;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Alerts;

/// <summary>Alerts of real runs (scripted stages, real Postgres and Azurite) posted to a real local receiver.</summary>
public sealed class RunAlertTests(RunAlertTests.Fixture fixture) : IClassFixture<RunAlertTests.Fixture>, IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public sealed class Fixture : IntegrationFixture
    {
        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await ScriptedStage.CreateTableAsync(DataSource);
        }
    }

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task A_failed_run_alerts_once_in_slack_shape_and_a_repeat_failure_of_the_same_scope_and_week_does_not()
    {
        var harness = Harness();
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        harness.Rollup.Script = (_, _) => throw new StageFailedException("INVALID_VALUE", "Respondent r1 answered 9 to q7.");

        var first = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org))).Report!;
        var second = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org))).Report!;

        Assert.Equal((RunStatus.Failed, RunStatus.Failed), (first.Status, second.Status));
        var request = Assert.Single(_receiver.Requests);
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal(["text", "blocks"], body.EnumerateObject().Select(property => property.Name));
        Assert.Contains("Weekly run failed", body.GetProperty("text").GetString(), StringComparison.Ordinal);
        var blocks = body.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("header", blocks[0].GetProperty("type").GetString());
        Assert.All(blocks.Skip(1), block => Assert.Equal("section", block.GetProperty("type").GetString()));
        foreach (var expected in new[] { first.RunId.ToString(), first.WeekLabel, $"org:{org}", "FULL", "failed", "INVALID_VALUE", teams[0].ToString(), teams[1].ToString() })
        {
            Assert.Contains(expected, request.Body, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("q7", request.Body, StringComparison.Ordinal);
        var row = Assert.Single(await AlertRows.OutboxAsync(fixture.DataSource, RunnerHarness.LastWeek.Monday), r => r.Scope == $"org:{org}");
        Assert.Equal(("run_failed", "sent", 1, first.RunId), (row.Kind, row.Status, row.Attempts, row.RunId));
        var incident = Assert.Single(await AlertRows.IncidentsAsync(fixture.DataSource, RunnerHarness.LastWeek.Monday), i => i.Scope == $"org:{org}");
        Assert.Equal(new IncidentRow(AlertKinds.RunProblemGroup, $"org:{org}", "run_failed", first.RunId, second.RunId, Open: true), incident);
    }

    [Fact]
    public async Task A_partial_run_alerts_when_a_team_failed_or_the_run_hit_an_error_but_not_when_teams_were_only_locked()
    {
        var harness = Harness();
        var tenants = new TenantBuilder(fixture.DataSource);
        var (org, teams) = await tenants.AddOrgAsync(2);
        harness.Rollup.Script = (team, _) => team.TeamId == teams[0] ? throw new StageFailedException("INVALID_VALUE", "Out of scale.") : Task.CompletedTask;

        var partial = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org))).Report!;

        Assert.Equal(RunStatus.Partial, partial.Status);
        var row = Assert.Single(await AlertRows.OutboxAsync(fixture.DataSource, RunnerHarness.LastWeek.Monday), r => r.Scope == $"org:{org}");
        Assert.Equal(("run_partial", "sent"), (row.Kind, row.Status));
        Assert.Contains("Weekly run partly failed", Assert.Single(_receiver.Requests).Body, StringComparison.Ordinal);

        // A whole-week run that finds one org locked by another run is partial without any failed team.
        harness.Rollup.Script = (_, _) => Task.CompletedTask;
        var week = RunnerHarness.LastWeek.AddWeeks(-3);
        var (lockedOrg, _) = await tenants.AddOrgAsync(1);
        var now = DateTimeOffset.UtcNow;
        var holder = new LockHolder(Guid.NewGuid(), "cli", "FULL", $"org:{lockedOrg}", now, now.AddMinutes(10), "other-host/1");
        RunReport lockedOut;
        await using (await harness.Services.GetRequiredService<WeeklyLockManager>().HoldAsync(LockKey.ForOrg(week, lockedOrg), holder))
        {
            lockedOut = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, week: week))).Report!;
        }

        Assert.Equal(RunStatus.Partial, lockedOut.Status);
        Assert.Equal("locked", lockedOut.Teams.Single(team => team.OrgId == lockedOrg).Status);
        Assert.Empty(await AlertRows.OutboxAsync(fixture.DataSource, week.Monday));
        Assert.Empty(await AlertRows.IncidentsAsync(fixture.DataSource, week.Monday));
        Assert.Single(_receiver.Requests);

        // A run-level error does alert: a lost lock leaves teams only not_started, yet the run needs attention.
        var lockLost = lockedOut with { RunId = Guid.NewGuid(), Errors = [new RunError(null, null, null, "LOCK_LOST", "The run lost its lock.")] };
        var handler = harness.Services.GetServices<IRunCompletionHandler>().OfType<RunAlertHandler>().Single();
        await handler.OnRunFinishedAsync(RunnerHarness.Request(RunMode.Full, week: week), lockLost, CancellationToken.None);
        var lockLostRow = Assert.Single(await AlertRows.OutboxAsync(fixture.DataSource, week.Monday));
        Assert.Equal(("run_partial", "all", lockLost.RunId), (lockLostRow.Kind, lockLostRow.Scope, lockLostRow.RunId));
        Assert.Contains("LOCK_LOST", _receiver.Requests.Last().Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_completed_run_sends_one_recovery_per_open_incident_of_its_scope_or_of_every_scope_when_unscoped()
    {
        var harness = Harness();
        var week = RunnerHarness.LastWeek.AddWeeks(-2);
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        var failing = true;
        harness.Rollup.Script = (_, _) => failing ? throw new StageFailedException("INVALID_VALUE", "Out of scale.") : Task.CompletedTask;
        var alerts = harness.Services.GetRequiredService<AlertService>();

        var failed = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org, week: week))).Report!;
        Assert.True(await alerts.RaiseAsync(AlertKind.WeekMissed, "all", week, null, "No unscoped FULL run by the deadline.", CancellationToken.None));
        failing = false;
        var orgRun = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org, week: week))).Report!;
        var allRun = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, week: week))).Report!;
        var again = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, week: week))).Report!;

        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.All([orgRun, allRun, again], report => Assert.Equal(RunStatus.Completed, report.Status));
        var rows = await AlertRows.OutboxAsync(fixture.DataSource, week.Monday);
        Assert.Equal(
            [("run_failed", $"org:{org}", failed.RunId), ("week_missed", "all", null), ("recovery", $"org:{org}", orgRun.RunId), ("recovery", "all", allRun.RunId)],
            rows.Select(row => (row.Kind, row.Scope, row.RunId)));
        Assert.All(rows, row => Assert.Equal("sent", row.Status));
        Assert.Equal(4, _receiver.Requests.Count);
        Assert.Contains("Weekly run recovered", _receiver.Requests.Last().Body, StringComparison.Ordinal);
        Assert.All(await AlertRows.IncidentsAsync(fixture.DataSource, week.Monday), incident => Assert.False(incident.Open));
    }

    [Fact]
    public async Task The_json_format_posts_a_plain_structured_body_with_codes_but_no_messages()
    {
        var harness = Harness(("ALERT_WEBHOOK_FORMAT", "json"));
        var (org, teams) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(2);
        harness.Rollup.Script = (team, _) => team.TeamId == teams[1] ? throw new StageFailedException("INVALID_VALUE", "Respondent r7 answered 9 to q3.") : Task.CompletedTask;

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org))).Report!;

        var body = JsonDocument.Parse(Assert.Single(_receiver.Requests).Body).RootElement;
        Assert.Equal(
            ["kind", "scope", "week_start", "week_label", "run_id", "trigger", "status", "counts", "errors", "summary"],
            body.EnumerateObject().Select(property => property.Name));
        Assert.Equal(
            ("run_partial", $"org:{org}", report.WeekStart, report.WeekLabel, report.RunId.ToString(), "partial"),
            (body.GetProperty("kind").GetString(), body.GetProperty("scope").GetString(), body.GetProperty("week_start").GetString(),
                body.GetProperty("week_label").GetString(), body.GetProperty("run_id").GetString(), body.GetProperty("status").GetString()));
        Assert.Equal(2, body.GetProperty("counts").GetProperty("teams_total").GetInt32());
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal(["org_id", "team_id", "stage", "code"], error.EnumerateObject().Select(property => property.Name));
        Assert.Equal((teams[1].ToString(), "rollup", "INVALID_VALUE"),
            (error.GetProperty("team_id").GetString(), error.GetProperty("stage").GetString(), error.GetProperty("code").GetString()));
        Assert.DoesNotContain("Respondent", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hanging_receiver_holds_the_run_up_by_at_most_the_timeout_and_leaves_its_outcome_alone()
    {
        _receiver.Mode = ReceiverMode.Hang;
        var harness = Harness(("ALERT_WEBHOOK_TIMEOUT_SECONDS", "2"));
        var (org, _) = await new TenantBuilder(fixture.DataSource).AddOrgAsync(1);
        harness.Rollup.Script = (_, _) => throw new StageFailedException("INVALID_VALUE", "Out of scale.");

        var report = (await harness.RunAsync(RunnerHarness.Request(RunMode.Full, org))).Report!;

        Assert.Equal(RunStatus.Failed, report.Status);
        var row = Assert.Single(await AlertRows.OutboxAsync(fixture.DataSource, RunnerHarness.LastWeek.Monday), r => r.Scope == $"org:{org}");
        Assert.Equal(("pending", 1, "no answer within 2 s"), (row.Status, row.Attempts, row.LastError));
        Assert.True(row.NextAttemptAt > DateTimeOffset.UtcNow.AddSeconds(30));

        // The handler alone, for an unscoped partial run of a missed week: it alerts and sends a recovery, and the
        // two attempts together wait for one timeout (in turn, they would take two; the margin is for loaded CI cores).
        var week = RunnerHarness.LastWeek.AddWeeks(-4);
        var alerts = harness.Services.GetRequiredService<AlertService>();
        await alerts.RaiseAsync(AlertKind.WeekMissed, "all", week, null, "No unscoped FULL run by the deadline.", CancellationToken.None);
        var handler = harness.Services.GetServices<IRunCompletionHandler>().OfType<RunAlertHandler>().Single();
        var stopwatch = Stopwatch.StartNew();
        await handler.OnRunFinishedAsync(RunnerHarness.Request(RunMode.Full, week: week), report with { Status = RunStatus.Partial }, CancellationToken.None);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3.9));
        Assert.Equal(
            [("week_missed", 1), ("run_partial", 1), ("recovery", 1)],
            (await AlertRows.OutboxAsync(fixture.DataSource, week.Monday)).Select(row => (row.Kind, row.Attempts)));
        Assert.Equal(4, _receiver.Requests.Count);
    }

    private RunnerHarness Harness(params (string Key, string Value)[] overrides)
    {
        var settings = AlertTesting.Settings(_receiver.Url, overrides);
        return new RunnerHarness(fixture, settings);
    }
}
