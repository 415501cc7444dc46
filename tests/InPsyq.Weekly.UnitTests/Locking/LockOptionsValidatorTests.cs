using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.UnitTests.Configuration;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.UnitTests.Locking;

/// <summary>The lock settings are checked at start-up against the run's deadlines and the stall bound.</summary>
public sealed class LockOptionsValidatorTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        var result = Validate();

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("22501", "21600", "900", true)]
    [InlineData("22500", "21600", "900", false)]
    [InlineData("28800", "21600", "7200", false)]
    [InlineData("40", "30", "8", true)]
    [InlineData("40", "30", "10", false)]
    public void The_ttl_must_exceed_the_run_deadline_plus_the_stall_bound(string ttl, string deadline, string stall, bool valid)
    {
        var result = Validate(
            ("WEEKLY_LOCK_TTL_SECONDS", ttl), ("WEEKLY_RUN_DEADLINE_SECONDS", deadline), ("WEEKLY_RUN_STALL_SECONDS", stall), ("WEEKLY_HTTP_DEADLINE_SECONDS", "20"));

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            var failure = Assert.Single(result.Failures!);
            Assert.StartsWith($"WEEKLY_LOCK_TTL_SECONDS ({ttl}) must exceed WEEKLY_RUN_DEADLINE_SECONDS + WEEKLY_RUN_STALL_SECONDS ({deadline} + {stall})", failure, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("WEEKLY_LOCK_LEASE_SECONDS", "14")]
    [InlineData("WEEKLY_LOCK_LEASE_SECONDS", "61")]
    [InlineData("WEEKLY_LOCK_TTL_SECONDS", "0")]
    [InlineData("WEEKLY_LOCK_TTL_SECONDS", "21600")]
    [InlineData("REAPER_GRACE_SECONDS", "0")]
    [InlineData("BLOB_LOCK_CONTAINER", "Locks")]
    public void An_invalid_setting_is_refused_by_name(string setting, string value)
    {
        var result = Validate((setting, value));

        Assert.True(result.Failed, $"{setting}={value} was accepted.");
        Assert.Contains(result.Failures!, failure => failure.Contains(setting, StringComparison.Ordinal));
    }

    private static ValidateOptionsResult Validate(params (string Setting, string Value)[] settings)
    {
        var configuration = AppSettings.From(settings);
        return new LockOptionsValidator(Options.Create(configuration.Bind<WeeklyRunOptions>()), Options.Create(configuration.Bind<WorkOptions>()))
            .Validate(null, configuration.Bind<LockOptions>());
    }
}
