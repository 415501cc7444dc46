using System.Text.Json;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Tests.Alerts;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Ops;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary><c>missed-run-watch</c> on a fake clock: Wednesday 2025-10-22, so 2025-10-13 is the latest week past its deadline.</summary>
public sealed class MissedRunWatchJobTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 10, 22, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task It_finds_exactly_the_weeks_past_their_deadline_since_the_first_run_that_do_not_count_as_run()
    {
        var rows = new RunRows(fixture.DataSource);
        await rows.ClearAsync();
        await rows.AddAsync("completed", At(2025, 9, 10), Week(2025, 9, 1));
        await rows.AddAsync("completed", At(2025, 9, 15), Week(2025, 9, 8));
        await rows.AddAsync("partial", At(2025, 9, 22), Week(2025, 9, 15));
        await rows.AddAsync("failed", At(2025, 9, 29), Week(2025, 9, 22));
        await rows.AddAsync("locked", At(2025, 9, 29), Week(2025, 9, 22));
        await rows.AddAsync("completed", At(2025, 10, 6), Week(2025, 9, 29), orgId: Guid.NewGuid());
        await rows.AddAsync("completed", At(2025, 10, 13), Week(2025, 10, 6), mode: "PIPELINE_ONLY");
        await rows.AddAsync("completed", At(2025, 10, 20), Week(2025, 10, 13));

        var result = await RunAsync();

        Assert.Equal(JobStatus.Succeeded, result.Status);
        var missed = Json(result).GetProperty("missed_weeks").EnumerateArray().ToList();
        Assert.Equal(["2025-09-22", "2025-09-29", "2025-10-06"], missed.Select(week => week.GetProperty("week_start").GetString()));
        Assert.Equal("2025-W40", missed[1].GetProperty("week_label").GetString());
        Assert.Equal(new DateTimeOffset(2025, 10, 6, 8, 0, 0, TimeSpan.Zero), missed[1].GetProperty("deadline").GetDateTimeOffset());
        Assert.Equal(3, result.Metrics!["missed_weeks"]);
    }

    [Fact]
    public async Task It_looks_back_eight_weeks_at_most_and_reports_nothing_before_the_first_run()
    {
        var rows = new RunRows(fixture.DataSource);
        await rows.ClearAsync();

        Assert.Empty(Json(await RunAsync()).GetProperty("missed_weeks").EnumerateArray());

        await rows.AddAsync("failed", At(2024, 1, 3), Week(2024, 1, 1));
        var missed = Json(await RunAsync()).GetProperty("missed_weeks").EnumerateArray().Select(week => week.GetProperty("week_start").GetString()!).ToList();

        Assert.Equal(MissedRunWatchJob.LookBackWeeks, missed.Count);
        Assert.Equal(["2025-08-25", "2025-10-13"], [missed[0], missed[^1]]);
    }

    [Fact]
    public async Task Each_missed_week_alerts_once_however_often_the_watch_runs()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var rows = new RunRows(fixture.DataSource);
        await rows.ClearAsync();
        await rows.AddAsync("completed", At(2025, 10, 6), Week(2025, 9, 29));
        var alerting = new Dictionary<string, string?> { ["ALERT_WEBHOOK_URL"] = receiver.Url, ["ALERT_WEBHOOK_FORMAT"] = "json" };
        // The other tests of this class open the same weeks' incidents (tracked even without a webhook).
        await using (var clear = fixture.DataSource.CreateCommand("delete from alert_outbox; delete from alert_incidents"))
        {
            await clear.ExecuteNonQueryAsync();
        }

        await RunAsync(alerting);
        await RunAsync(alerting);

        var alerts = receiver.Requests.Select(request => JsonDocument.Parse(request.Body).RootElement).ToList();
        Assert.Equal(["2025-10-06", "2025-10-13"], alerts.Select(alert => alert.GetProperty("week_start").GetString()).Order());
        Assert.All(alerts, alert => Assert.Equal(("week_missed", "all"), (alert.GetProperty("kind").GetString(), alert.GetProperty("scope").GetString())));
    }

    private async Task<JobResult> RunAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        await fixture.CreateServices(settings, services => services.AddSingleton<TimeProvider>(_clock))
            .GetRequiredService<JobRunner>().RunAsync(MissedRunWatchJob.Id, JobTrigger.Manual, CancellationToken.None);

    private static JsonElement Json(JobResult result) => JsonSerializer.SerializeToElement(result.Data, WeeklyJson.Options);

    private static DateTimeOffset At(int year, int month, int day) => new(year, month, day, 3, 0, 0, TimeSpan.Zero);

    private static IsoWeek Week(int year, int month, int day) => IsoWeek.FromMonday(new DateOnly(year, month, day));
}
