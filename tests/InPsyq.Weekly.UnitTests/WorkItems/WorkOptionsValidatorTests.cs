using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.UnitTests.Configuration;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.UnitTests.WorkItems;

/// <summary>The work settings are checked at start-up, and a refusal names the setting (bound by its app-setting name).</summary>
public sealed class WorkOptionsValidatorTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        var result = Validate();

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Short_durations_for_tests_are_valid()
    {
        var result = Validate(
            ("WEEKLY_WORK_VISIBILITY_SECONDS", "3"), ("WEEKLY_WORK_RENEW_SECONDS", "1"), ("WEEKLY_RUN_HEARTBEAT_SECONDS", "1"),
            ("WEEKLY_RUN_STALL_SECONDS", "5"), ("WEEKLY_WORK_POLL_SECONDS", "0.2"), ("WEEKLY_WORK_OUTBOX_RESEND_SECONDS", "1"),
            ("WEEKLY_HTTP_WAIT_SECONDS", "2"));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void A_queue_name_of_51_characters_leaves_room_for_the_next_and_poison_suffixes()
    {
        var result = Validate(("WEEKLY_WORK_QUEUE", new string('q', 51)));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("WEEKLY_WORK_QUEUE", "ab")]
    [InlineData("WEEKLY_WORK_QUEUE", "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq")] // 52: "-next-poison" would not fit in 63
    [InlineData("WEEKLY_WORK_QUEUE", "Weekly-Work")]
    [InlineData("WEEKLY_WORK_QUEUE", "weekly--work")]
    [InlineData("WEEKLY_WORK_QUEUE", "-weekly-work")]
    [InlineData("WEEKLY_WORK_QUEUE", "weekly_work")]
    [InlineData("WEEKLY_WORK_ITEM_TEAMS", "0")]
    [InlineData("WEEKLY_WORK_MAX_ATTEMPTS", "0")]
    [InlineData("WEEKLY_WORKERS", "0")]
    [InlineData("WEEKLY_WORKERS", "65")]
    [InlineData("WEEKLY_WORK_VISIBILITY_SECONDS", "0.5")]
    [InlineData("WEEKLY_WORK_VISIBILITY_SECONDS", "604801")]
    [InlineData("WEEKLY_WORK_RENEW_SECONDS", "0")]
    [InlineData("WEEKLY_WORK_RENEW_SECONDS", "90")]
    [InlineData("WEEKLY_WORK_POLL_SECONDS", "0")]
    [InlineData("WEEKLY_WORK_ITEM_BUDGET_SECONDS", "0")]
    [InlineData("WEEKLY_WORK_OUTBOX_RESEND_SECONDS", "-1")]
    [InlineData("WEEKLY_RUN_HEARTBEAT_SECONDS", "0")]
    [InlineData("WEEKLY_RUN_STALL_SECONDS", "0")]
    [InlineData("WEEKLY_RUN_STALL_SECONDS", "90")]
    [InlineData("WEEKLY_RUN_HEARTBEAT_SECONDS", "500")]
    [InlineData("WEEKLY_HTTP_WAIT_SECONDS", "0")]
    [InlineData("WEEKLY_HTTP_WAIT_SECONDS", "200")]
    public void An_invalid_setting_is_refused_by_name(string setting, string value)
    {
        var result = Validate((setting, value));

        Assert.True(result.Failed, $"{setting}={value} was accepted.");
        Assert.Contains(result.Failures!, failure => failure.StartsWith(setting, StringComparison.Ordinal) || failure.Contains($" {setting} ", StringComparison.Ordinal));
    }

    private static ValidateOptionsResult Validate(params (string Setting, string Value)[] settings) =>
        new WorkOptionsValidator(Options.Create(new WeeklyRunOptions())).Validate(null, AppSettings.From(settings).Bind<WorkOptions>());
}
