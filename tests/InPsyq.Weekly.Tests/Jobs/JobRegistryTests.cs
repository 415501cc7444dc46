using InPsyq.Weekly.Jobs;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Tests.Jobs;

public sealed class JobRegistryTests
{
    [Fact]
    public void A_duplicate_id_is_rejected_at_start_up()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new JobRegistry([JobKit.Job("cleanup"), JobKit.Job("cleanup")]));

        Assert.Contains("Job 'cleanup': the id is already used by another job.", error.Failures);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new JobRegistry(
        [
            JobKit.Job("bad-cron", schedule: "x y z w v"),
            JobKit.Job("azure-five-fields", schedule: "0 2 * * *") with { HasAzureTimer = true },
            JobKit.Job("Bad Id"),
            JobKit.Job("no-budget") with { Timeout = TimeSpan.Zero },
            JobKit.Job("no-attempts") with { Retry = new RetryPolicy(0, TimeSpan.Zero, 2, TimeSpan.Zero) },
        ]));

        Assert.Equal(5, error.Failures.Count());
        Assert.Contains(error.Failures, failure => failure.Contains("'azure-five-fields'", StringComparison.Ordinal) && failure.Contains("Azure timer", StringComparison.Ordinal));
    }

    [Fact]
    public void Jobs_are_listed_in_id_order_and_found_by_id()
    {
        var registry = new JobRegistry([JobKit.Job("b"), JobKit.Job("a", schedule: "60000")]);

        Assert.Equal(["a", "b"], registry.Jobs.Select(job => job.Id));
        Assert.Equal("60000", registry.Find("a")!.Schedule.Expression);
        Assert.Null(registry.Find("c"));
    }
}
