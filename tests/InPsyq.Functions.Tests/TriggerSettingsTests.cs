using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InPsyq.Functions.Tests;

/// <summary>
/// The Functions host resolves <c>%NAME%</c> from the app settings alone and silently disables a timer whose setting
/// does not resolve; the app checks every such setting at start-up and refuses to start, naming it.
/// </summary>
public sealed partial class TriggerSettingsTests
{
    [Fact]
    public void The_check_covers_every_setting_the_generated_metadata_binds_to()
    {
        using var host = FunctionsAppHost.Build();
        var bound = GeneratedMetadata.Functions
            .SelectMany(function => SettingReference().Matches(function.Trigger.Schedule + function.Trigger.Route + function.Trigger.QueueName).Select(match => (function.Name, match.Groups[1].Value)))
            .Order();

        var settings = host.Services.GetRequiredService<IOptions<TriggerSettings>>().Value.Settings;

        Assert.NotEmpty(bound);
        Assert.Equal(bound, settings.Select(setting => (setting.Function, setting.Name)).Order());
        Assert.All(settings, setting => Assert.Equal(setting.Function is not ("WorkItem" or "WorkItemNext"), setting.IsSchedule));
    }

    [Fact]
    public void With_every_trigger_setting_present_and_a_valid_schedule_the_app_starts()
    {
        using var host = FunctionsAppHost.Build();

        Assert.Empty(FunctionsAppHost.StartupFailures(host));
    }

    [Theory]
    [InlineData("WEEKLY_SCHEDULE", "WeeklyRun")]
    [InlineData("JOB_RUN_REAPER_SCHEDULE", "RunReaper")]
    [InlineData("JOB_DB_MAINTENANCE_SCHEDULE", "DbMaintenance")]
    public void A_missing_schedule_setting_stops_the_app_naming_it_though_the_library_has_a_default(string setting, string function)
    {
        using var host = FunctionsAppHost.Build(new Dictionary<string, string?> { [setting] = null });

        Assert.Equal([NotSet(setting, function)], FunctionsAppHost.StartupFailures(host));
    }

    [Fact]
    public void A_blank_schedule_setting_counts_as_missing()
    {
        using var host = FunctionsAppHost.Build(new Dictionary<string, string?> { ["JOB_MISSED_RUN_WATCH_SCHEDULE"] = " " });

        Assert.Contains(NotSet("JOB_MISSED_RUN_WATCH_SCHEDULE", "MissedRunWatch"), FunctionsAppHost.StartupFailures(host));
    }

    [Theory]
    [InlineData("WEEKLY_SCHEDULE", "0 2 * * 1", "WeeklyRun")]
    [InlineData("JOB_RETENTION_CLEANUP_SCHEDULE", "60000", "RetentionCleanup")]
    [InlineData("JOB_MISSED_RUN_WATCH_SCHEDULE", "every hour", "MissedRunWatch")]
    public void An_invalid_schedule_stops_the_app_naming_it(string setting, string value, string function)
    {
        using var host = FunctionsAppHost.Build(new Dictionary<string, string?> { [setting] = value });

        Assert.Contains(
            $"{setting} '{value}', the schedule of the function {function}, is not a 6-field NCRONTAB expression (second minute hour day month weekday, UTC).",
            FunctionsAppHost.StartupFailures(host));
    }

    private static string NotSet(string setting, string function) =>
        $"{setting} is not set: the Functions host would disable the function {function}, whose trigger binds to it.";

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingReference();
}
