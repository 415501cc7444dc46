using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Tests.Infrastructure;

namespace InPsyq.Weekly.Tests.Jobs;

/// <summary>Two service providers stand for two hosts sharing one database: a job never overlaps itself across them.</summary>
public sealed class CrossHostOverlapTests(IntegrationFixture fixture) : IClassFixture<IntegrationFixture>
{
    [Fact]
    public async Task A_job_running_on_one_host_is_skipped_with_ALREADY_RUNNING_on_the_other_until_it_ends()
    {
        var release = new TaskCompletionSource<JobOutcome?>();
        var started = new TaskCompletionSource();
        var hostA = JobKit.Runner(fixture, TimeProvider.System, JobKit.Job("shared", (_, _) =>
        {
            started.SetResult();
            return release.Task;
        }));
        var hostB = JobKit.Runner(fixture, TimeProvider.System, JobKit.Job("shared"));
        var onA = hostA.RunAsync("shared", JobTrigger.Schedule, CancellationToken.None);
        await started.Task;

        var scheduledOnB = await hostB.RunAsync("shared", JobTrigger.Schedule, CancellationToken.None);
        var manualOnB = await hostB.RunAsync("shared", JobTrigger.Manual, CancellationToken.None);
        release.SetResult(JobOutcome.Succeeded());
        await onA;
        var afterwards = await hostB.RunAsync("shared", JobTrigger.Schedule, CancellationToken.None);

        Assert.True(scheduledOnB.WasAlreadyRunning);
        Assert.True(manualOnB.WasAlreadyRunning);
        Assert.Equal(JobStatus.Succeeded, afterwards.Status);
        var attempts = await JobKit.AttemptsAsync(fixture.DataSource, "shared");
        Assert.Equal(
            [("schedule", "succeeded"), ("schedule", "skipped"), ("manual", "skipped"), ("schedule", "succeeded")],
            attempts.Select(attempt => (attempt.Trigger, attempt.Status)));
        Assert.All(attempts.Where(attempt => attempt.Status == "skipped"), attempt => Assert.Equal(JobWire.AlreadyRunning, attempt.Error));
    }
}
