using System.Net;
using System.Text.Json;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>
/// Manual cancel: over HTTP on the host that runs the job, and across hosts (two service providers on one database)
/// through the request stamped on the attempt row, which the running host polls.
/// </summary>
public sealed class JobCancelTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    private static readonly Dictionary<string, string?> s_fastPolling = new() { ["JOBS_CANCEL_POLL_SECONDS"] = "0.2" };

    [Fact]
    public async Task A_job_running_here_is_cancelled_over_http_at_once_recorded_cancelled_and_not_retried()
    {
        var started = new TaskCompletionSource();
        await using var server = await fixture.StartServerAsync(configure: services => services.AddSingleton(JobKit.Job(
            "http-cancel",
            async (_, cancellationToken) =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return JobOutcome.Succeeded();
            },
            retry: new RetryPolicy(3, TimeSpan.FromMilliseconds(10), 1, TimeSpan.FromMilliseconds(10)))));

        var run = JobKit.RunOverHttpAsync(server, "http-cancel");
        await started.Task;
        var (accepted, body) = await JobKit.CancelOverHttpAsync(server, "http-cancel");
        var (ran, result) = await run;

        Assert.Equal(HttpStatusCode.Accepted, accepted);
        Assert.Equal(("http-cancel", "cancel_requested"), (body.GetProperty("job_id").GetString(), body.GetProperty("status").GetString()));
        Assert.Equal(result.GetProperty("execution_id").GetGuid(), body.GetProperty("execution_id").GetGuid());
        Assert.Equal(HttpStatusCode.InternalServerError, ran);
        Assert.Equal("cancelled", result.GetProperty("status").GetString());
        Assert.Equal([("manual", "cancelled")], (await JobKit.AttemptsAsync(fixture.DataSource, "http-cancel")).Select(attempt => (attempt.Trigger, attempt.Status)));
        Assert.Equal(1L, await CancelStampsAsync("http-cancel"));

        // The diagnostics show when the cancel was asked for.
        using var diag = new HttpRequestMessage(HttpMethod.Get, "/api/internal/diag/jobs?job_id=http-cancel");
        diag.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
        using var listed = await server.Client.SendAsync(diag);
        var execution = JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement.GetProperty("executions")[0];
        Assert.Equal(JsonValueKind.String, execution.GetProperty("cancel_requested_at").ValueKind);
    }

    [Fact]
    public async Task A_job_running_on_another_host_is_cancelled_within_the_poll_interval()
    {
        var started = new TaskCompletionSource();
        var hostA = JobKit.Runner(fixture.CreateServices(s_fastPolling), new JobRegistry([JobKit.Job("remote-cancel", async (_, cancellationToken) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return JobOutcome.Succeeded();
        })]), TimeProvider.System);
        var hostB = JobKit.Runner(fixture.CreateServices(s_fastPolling), new JobRegistry([JobKit.Job("remote-cancel")]), TimeProvider.System);

        var onA = hostA.RunAsync("remote-cancel", JobTrigger.Schedule, CancellationToken.None);
        await started.Task;
        var requested = await hostB.RequestCancelAsync("remote-cancel", CancellationToken.None);
        var result = await onA.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(result.ExecutionId, requested);
        Assert.Equal(JobStatus.Cancelled, result.Status);
        Assert.False(hostB.IsRunning("remote-cancel"));
        Assert.Equal([("schedule", "cancelled")], (await JobKit.AttemptsAsync(fixture.DataSource, "remote-cancel")).Select(attempt => (attempt.Trigger, attempt.Status)));
    }

    [Fact]
    public async Task Nothing_to_cancel_is_refused_and_an_old_request_does_not_cancel_the_next_execution()
    {
        var release = new TaskCompletionSource<JobOutcome?>();
        var started = new TaskCompletionSource();
        var runner = JobKit.Runner(fixture.CreateServices(s_fastPolling), new JobRegistry([JobKit.Job("stale-cancel", async (_, cancellationToken) =>
        {
            started.TrySetResult();
            return await release.Task.WaitAsync(cancellationToken);
        })]), TimeProvider.System);
        Assert.Null(await runner.RequestCancelAsync("stale-cancel", CancellationToken.None));

        // An execution cancelled on request, then the next one: its own id carries no request, so it runs to the end.
        var first = runner.RunAsync("stale-cancel", JobTrigger.Schedule, CancellationToken.None);
        await started.Task;
        await runner.RequestCancelAsync("stale-cancel", CancellationToken.None);
        var cancelled = await first;
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        await runner.WhenReleasedAsync("stale-cancel", cancelled.ExecutionId); // its handler returns on the token, a moment later
        Assert.Null(await runner.RequestCancelAsync("stale-cancel", CancellationToken.None));

        started = new TaskCompletionSource();
        var second = runner.RunAsync("stale-cancel", JobTrigger.Schedule, CancellationToken.None);
        await started.Task;
        await Task.Delay(TimeSpan.FromSeconds(1));
        release.SetResult(JobOutcome.Succeeded());

        Assert.Equal(JobStatus.Succeeded, (await second).Status);
        Assert.Equal(1L, await CancelStampsAsync("stale-cancel"));
    }

    private async Task<long> CancelStampsAsync(string jobId)
    {
        await using var command = fixture.DataSource.CreateCommand(
            "select count(*) from scheduled_job_executions where job_id = $1 and cancel_requested_at is not null");
        command.Parameters.Add(new() { Value = jobId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
