using System.Net;
using System.Text.Json;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.ScheduledJobs;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Tests.Jobs;
using InPsyq.Weekly.Tests.Ops;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InPsyq.Weekly.Tests.Runs;

/// <summary>
/// One trigger vocabulary for jobs and runs: a run of the weekly-run job is <c>schedule</c> or <c>manual</c> as its job
/// execution is, in the audit row, the report and the diagnostics.
/// </summary>
public sealed class RunTriggerTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_weekly_run_started_through_the_admin_job_endpoint_is_a_manual_run_in_the_audit_and_the_diagnostics()
    {
        await using var server = await fixture.StartServerAsync();

        var (status, result) = await JobKit.RunOverHttpAsync(server, WeeklyRunJob.Id);

        Assert.Equal(HttpStatusCode.OK, status);
        var runId = result.GetProperty("data").GetProperty("run_id").GetGuid();
        Assert.Equal("manual", await new RunRows(fixture.DataSource).TriggerOfAsync(runId));
        Assert.Equal([("manual", "succeeded")], (await JobKit.AttemptsAsync(fixture.DataSource, WeeklyRunJob.Id)).Select(attempt => (attempt.Trigger, attempt.Status)));
        var manualRuns = await ListedRunsAsync(server, "manual");
        Assert.Contains((runId, "manual"), manualRuns);
        Assert.All(manualRuns, run => Assert.Equal("manual", run.Trigger));
        Assert.DoesNotContain(runId, (await ListedRunsAsync(server, "schedule")).Select(run => run.RunId));
        Assert.Contains("<td>manual</td>", await StatusPageAsync(server), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(JobTrigger.Schedule, JobTrigger.Schedule, "schedule")]
    [InlineData(JobTrigger.Retry, JobTrigger.Schedule, "schedule")]
    [InlineData(JobTrigger.Manual, JobTrigger.Manual, "manual")]
    [InlineData(JobTrigger.Retry, JobTrigger.Manual, "manual")]
    public async Task A_weekly_run_job_attempt_runs_with_the_trigger_of_its_execution(JobTrigger attemptTrigger, JobTrigger startedBy, string runTrigger)
    {
        var job = fixture.CreateServices().GetRequiredService<WeeklyRunJob>();
        var context = new JobContext(WeeklyRunJob.Id, Guid.NewGuid(), attemptTrigger == JobTrigger.Retry ? 2 : 1, attemptTrigger) { StartedBy = startedBy };

        var outcome = await job.RunAsync(context, CancellationToken.None);

        Assert.Equal(JobStatus.Succeeded, outcome!.Status);
        var runId = JsonSerializer.SerializeToElement(outcome.Data, WeeklyJson.Options).GetProperty("run_id").GetGuid();
        Assert.Equal(runTrigger, await new RunRows(fixture.DataSource).TriggerOfAsync(runId));
    }

    [Fact]
    public async Task A_retry_keeps_what_started_its_execution()
    {
        var clock = new FakeTimeProvider(JobKit.Start);
        var contexts = new List<JobContext>();
        var job = JobKit.Job("flaky", (context, _) =>
        {
            contexts.Add(context);
            return Task.FromResult<JobOutcome?>(context.Attempt == 1 ? JobOutcome.Failed("FLAKY") : JobOutcome.Succeeded());
        }, retry: new RetryPolicy(2, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(1), Jitter: 0));

        var running = JobKit.Runner(fixture, clock, job).RunAsync("flaky", JobTrigger.Manual, CancellationToken.None);
        await JobKit.AdvanceUntilAsync(clock, TimeSpan.FromMilliseconds(200), () => running.IsCompleted, "the retry succeeded");

        Assert.Equal(JobStatus.Succeeded, (await running).Status);
        Assert.Equal([(JobTrigger.Manual, JobTrigger.Manual), (JobTrigger.Retry, JobTrigger.Manual)], contexts.Select(context => (context.Trigger, context.StartedBy)));
    }

    /// <summary>The run history filtered by <paramref name="trigger"/>: each run's id and trigger.</summary>
    private static async Task<List<(Guid RunId, string? Trigger)>> ListedRunsAsync(RunningServer server, string trigger)
    {
        using var body = JsonDocument.Parse(await GetHistoryAsync(server, $"?trigger={trigger}&limit=200"));
        return [.. body.RootElement.GetProperty("runs").EnumerateArray().Select(run => (run.GetProperty("run_id").GetGuid(), run.GetProperty("trigger").GetString()))];
    }

    private static Task<string> StatusPageAsync(RunningServer server) => GetHistoryAsync(server, "?trigger=manual&format=html");

    private static async Task<string> GetHistoryAsync(RunningServer server, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/internal/diag/weekly-runs{query}");
        request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}
