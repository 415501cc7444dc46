using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Azure.Storage.Blobs.Specialized;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Telemetry;
using InPsyq.Weekly.Tests.Alerts;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Ops;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary><c>run-reaper</c>, triggered as the runbooks do: <c>POST /api/internal/jobs/run-reaper/run</c> (lease 15 s, grace 1 s).</summary>
public sealed class RunReaperJobTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task It_abandons_runs_without_a_live_lock_fails_lost_attempts_and_deletes_only_expired_free_locks()
    {
        var now = DateTimeOffset.UtcNow;
        var week = IsoWeek.Containing(now).AddWeeks(-1);
        var rows = new RunRows(fixture.DataSource);
        var lockless = await rows.AddAsync("running", now.AddHours(-1), week, mode: "PIPELINE_ONLY", trigger: "cli");
        var alive = await rows.AddAsync("running", now.AddHours(-1), week.AddWeeks(-1));
        var impostor = await rows.AddAsync("running", now.AddHours(-1), week.AddWeeks(-2));
        var young = await rows.AddAsync("running", now.AddSeconds(-3), week.AddWeeks(-3));
        var finished = await rows.AddAsync("failed", now.AddHours(-2), week.AddWeeks(-4));
        await AddLockAsync(LockKey.WholeWeek(week.AddWeeks(-1)).BlobName, alive, now.AddMinutes(5), leased: true);
        await AddLockAsync(LockKey.WholeWeek(week.AddWeeks(-2)).BlobName, Guid.NewGuid(), now.AddMinutes(5), leased: true);
        await AddLockAsync("2025-01-06/all", Guid.NewGuid(), now.AddMinutes(-1), leased: false);
        await AddLockAsync("2025-01-13/all", Guid.NewGuid(), now.AddMinutes(10), leased: false);
        await AddLockAsync("2025-01-20/all", Guid.NewGuid(), now.AddMinutes(-10), leased: true);
        await AddLockAsync("2025-01-27/all", null, now, leased: false);
        await JobKit.AddAttemptAsync(fixture.DataSource, RunReaperJob.Id, "running", now.AddMinutes(-10));
        await JobKit.AddAttemptAsync(fixture.DataSource, RetentionCleanupJob.Id, "running", now.AddMinutes(-5));
        await JobKit.AddAttemptAsync(fixture.DataSource, "retired-job", "running", now.AddHours(-2));
        await JobKit.AddAttemptAsync(fixture.DataSource, "retired-recently", "running", now.AddMinutes(-30));
        await using var server = await fixture.StartServerAsync();
        var finals = new ConcurrentQueue<(string Outcome, string Trigger, string Mode)>();
        using var listener = RunsCounted(finals);

        var (status, body) = await JobKit.RunOverHttpAsync(server, RunReaperJob.Id);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("succeeded", body.GetProperty("status").GetString());
        var data = body.GetProperty("data");
        Assert.Equal(
            [(impostor, "all", week.AddWeeks(-2).ToString()), (lockless, "all", week.ToString())],
            data.GetProperty("abandoned_runs").EnumerateArray()
                .Select(run => (run.GetProperty("run_id").GetGuid(), run.GetProperty("scope").GetString()!, run.GetProperty("week_start").GetString()!))
                .OrderBy(run => run.Item3));
        Assert.Equal(
            [("abandoned", "ABANDONED"), ("running", null), ("abandoned", "ABANDONED"), ("running", null), ("failed", null)],
            await StatusesAsync(lockless, alive, impostor, young, finished));
        Assert.Equal(
            ["retired-job", RunReaperJob.Id],
            data.GetProperty("lost_executions").EnumerateArray().Select(lost => lost.GetProperty("job_id").GetString()).Order());
        Assert.All(
            (await JobKit.AttemptsAsync(fixture.DataSource, "retired-job")).Concat(await JobKit.AttemptsAsync(fixture.DataSource, RunReaperJob.Id)).Where(a => a.Status == "failed"),
            attempt => Assert.StartsWith("HOST_LOST", attempt.Error, StringComparison.Ordinal));
        Assert.Equal("running", Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, RetentionCleanupJob.Id)).Status);
        Assert.Equal("running", Assert.Single(await JobKit.AttemptsAsync(fixture.DataSource, "retired-recently")).Status);
        Assert.Equal(["2025-01-06/all"], data.GetProperty("deleted_lock_blobs").EnumerateArray().Select(name => name.GetString()));
        Assert.DoesNotContain("2025-01-06/all", await fixture.ListBlobsAsync(fixture.LockContainer));
        Assert.Equal(5, (await fixture.ListBlobsAsync(fixture.LockContainer)).Count);
        Assert.Equal(2, body.GetProperty("metrics").GetProperty("abandoned_runs").GetDouble());
        // An abandoned run is final where the reaper marks it: counted in the run metrics there, with its own tags.
        Assert.Contains(("abandoned", "cli", "PIPELINE_ONLY"), finals);
    }

    /// <summary>Every count of <c>inpsyq.runs</c> in this process from now on, with its outcome, trigger and mode.</summary>
    private static MeterListener RunsCounted(ConcurrentQueue<(string Outcome, string Trigger, string Mode)> finals)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == WeeklyTelemetry.Name && instrument.Name == "inpsyq.runs")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var values = tags.ToArray().ToDictionary(tag => tag.Key, tag => tag.Value as string);
            finals.Enqueue((values["outcome"]!, values["trigger"]!, values["mode"]!));
        });
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task An_abandoned_run_raises_a_run_abandoned_alert_and_the_reaper_retries_alerts_whose_first_attempt_failed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var week = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-9);
        var abandoned = await new RunRows(fixture.DataSource).AddAsync("running", DateTimeOffset.UtcNow.AddHours(-1), week);
        await using var server = await fixture.StartServerAsync(new Dictionary<string, string?>
        {
            ["ALERT_WEBHOOK_URL"] = receiver.Url,
            ["ALERT_WEBHOOK_FORMAT"] = "json",
        });

        // The webhook is down for the reaper's inline attempt: the alert waits in the outbox.
        receiver.Mode = ReceiverMode.Fail;
        await JobKit.RunOverHttpAsync(server, RunReaperJob.Id);
        var queued = Assert.Single(await AlertRows.OutboxAsync(fixture.DataSource, week.Monday));
        Assert.Equal(("run_abandoned", abandoned, "pending"), (queued.Kind, queued.RunId, queued.Status));

        receiver.Mode = ReceiverMode.Accept;
        await using (var due = fixture.DataSource.CreateCommand("update alert_outbox set next_attempt_at = now() - interval '1 second' where status = 'pending'"))
        {
            await due.ExecuteNonQueryAsync();
        }

        var (_, body) = await JobKit.RunOverHttpAsync(server, RunReaperJob.Id);

        Assert.Equal(1, body.GetProperty("metrics").GetProperty("alerts_sent").GetDouble());
        Assert.Equal("sent", Assert.Single(await AlertRows.OutboxAsync(fixture.DataSource, week.Monday)).Status);
        var delivered = System.Text.Json.JsonDocument.Parse(receiver.Requests.Last().Body).RootElement;
        Assert.Equal(("run_abandoned", abandoned.ToString()), (delivered.GetProperty("kind").GetString(), delivered.GetProperty("run_id").GetString()));
    }

    private async Task AddLockAsync(string name, Guid? runId, DateTimeOffset expiresAt, bool leased)
    {
        var blob = fixture.BlobService.GetBlobContainerClient(fixture.LockContainer).GetBlobClient(name);
        await blob.UploadAsync(BinaryData.Empty, overwrite: true);
        if (runId is { } id)
        {
            await blob.SetMetadataAsync(new LockHolder(id, "schedule", "FULL", "all", expiresAt.AddMinutes(-10), expiresAt, "test-host").ToMetadata());
        }

        if (leased)
        {
            await blob.GetBlobLeaseClient().AcquireAsync(TimeSpan.FromSeconds(60));
        }
    }

    private async Task<List<(string Status, string? Error)>> StatusesAsync(params Guid[] runIds)
    {
        var statuses = new List<(string, string?)>();
        foreach (var runId in runIds)
        {
            await using var command = fixture.DataSource.CreateCommand("select status, split_part(error, ':', 1) from weekly_runs where run_id = $1");
            command.Parameters.Add(new() { Value = runId });
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            statuses.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return statuses;
    }
}
