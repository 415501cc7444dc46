using System.Net;
using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary><c>POST /api/internal/jobs/{id}/run</c> over the standalone host.</summary>
public sealed class RunJobEndpointTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task It_runs_a_job_now_and_answers_with_its_result_or_409_while_it_runs()
    {
        var release = new TaskCompletionSource<JobOutcome?>();
        var started = new TaskCompletionSource();
        await using var server = await fixture.StartServerAsync(configure: services => services.AddSingleton(JobKit.Job("blocker", (_, _) =>
        {
            started.TrySetResult();
            return release.Task;
        })));

        var first = JobKit.RunOverHttpAsync(server, "blocker");
        await started.Task;
        var (conflict, refusal) = await JobKit.RunOverHttpAsync(server, "blocker");
        release.SetResult(JobOutcome.Succeeded(new { done = true }));
        var (ok, result) = await first;

        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal("JOB_RUNNING", refusal.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(("blocker", "succeeded", true, 1), (
            result.GetProperty("job_id").GetString(), result.GetProperty("status").GetString(),
            result.GetProperty("success").GetBoolean(), result.GetProperty("attempt").GetInt32()));
        Assert.True(result.GetProperty("data").GetProperty("done").GetBoolean());
        var attempts = await JobKit.AttemptsAsync(fixture.DataSource, "blocker");
        Assert.Equal([("manual", "succeeded"), ("manual", "skipped")], attempts.Select(attempt => (attempt.Trigger, attempt.Status)));
    }

    [Fact]
    public async Task A_failing_job_answers_500_with_its_result_an_unknown_one_404_and_no_secret_401()
    {
        await using var server = await fixture.StartServerAsync(configure: services =>
            services.AddSingleton(JobKit.Job("fails", (_, _) => Task.FromResult<JobOutcome?>(JobOutcome.Failed("BROKEN")))));

        var (failed, result) = await JobKit.RunOverHttpAsync(server, "fails");
        var (missing, notFound) = await JobKit.RunOverHttpAsync(server, "no-such-job");
        var (unauthorized, _) = await JobKit.RunOverHttpAsync(server, "fails", secret: null);

        Assert.Equal(HttpStatusCode.InternalServerError, failed);
        Assert.Equal(("failed", "BROKEN"), (result.GetProperty("status").GetString(), result.GetProperty("error").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("JOB_NOT_FOUND", notFound.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized);
    }
}
