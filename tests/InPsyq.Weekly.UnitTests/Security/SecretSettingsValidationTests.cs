using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.UnitTests.Security;

/// <summary>
/// Start-up validation of the internal secrets, their <c>_PREVIOUS</c> values and the Entra ID settings, as the hosts
/// compose the HTTP API (every other secret setting: Http/AuthTests, through a real host's start-up).
/// </summary>
public sealed class SecretSettingsValidationTests
{
    private const string CronSecret = "cron-secret-0123456789abcdef0123456789";
    private const string AdminSecret = "admin-secret-0123456789abcdef012345678";
    private const string Reference = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/some-secret/)";

    [Theory]
    [InlineData("INTERNAL_CRON_SECRET")]
    [InlineData("INTERNAL_CRON_SECRET_PREVIOUS")]
    [InlineData("INTERNAL_ADMIN_SECRET")]
    [InlineData("INTERNAL_ADMIN_SECRET_PREVIOUS")]
    public void An_unresolved_reference_fails_start_up_naming_the_setting_and_only_that(string setting)
    {
        var failures = FailuresOf(new() { [setting] = Reference });

        Assert.Equal([PlatformReference.Describe(setting)], failures);
    }

    [Theory]
    [InlineData("INTERNAL_CRON_SECRET_PREVIOUS", "short", "INTERNAL_CRON_SECRET_PREVIOUS must be at least 32 characters long.")]
    [InlineData("INTERNAL_ADMIN_SECRET_PREVIOUS", "short", "INTERNAL_ADMIN_SECRET_PREVIOUS must be at least 32 characters long.")]
    [InlineData("INTERNAL_CRON_SECRET_PREVIOUS", AdminSecret, "INTERNAL_CRON_SECRET and INTERNAL_ADMIN_SECRET must be different (their _PREVIOUS values included).")]
    [InlineData("INTERNAL_ADMIN_SECRET_PREVIOUS", CronSecret, "INTERNAL_CRON_SECRET and INTERNAL_ADMIN_SECRET must be different (their _PREVIOUS values included).")]
    public void A_previous_secret_follows_the_rules_of_the_current_ones(string setting, string value, string expected)
    {
        var failures = FailuresOf(new() { [setting] = value });

        Assert.Equal([expected], failures);
        Assert.DoesNotContain(failures, failure => failure.Contains(value, StringComparison.Ordinal));
    }

    [Fact]
    public void The_previous_secrets_are_optional()
    {
        Assert.Empty(FailuresOf(new() { ["INTERNAL_CRON_SECRET_PREVIOUS"] = "", ["INTERNAL_ADMIN_SECRET_PREVIOUS"] = null }));
    }

    [Theory]
    [InlineData("AUTH_ENTRA_TENANT_ID", "7d1f0e0a-5b6c-4d2e-9f3a-1b2c3d4e5f60", "AUTH_ENTRA_TENANT_ID and AUTH_ENTRA_AUDIENCE go together")]
    [InlineData("AUTH_ENTRA_AUDIENCE", "api://inpsyq-weekly", "AUTH_ENTRA_TENANT_ID and AUTH_ENTRA_AUDIENCE go together")]
    [InlineData("AUTH_ENTRA_AUTHORITY", "http://login.example.com", "AUTH_ENTRA_AUTHORITY must be an absolute https URL")]
    public void Half_an_entra_configuration_or_a_plain_http_authority_fails_start_up(string setting, string value, string expected)
    {
        var failures = FailuresOf(new() { [setting] = value });

        Assert.Single(failures);
        Assert.StartsWith(expected, failures[0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_tenant_must_be_a_guid_not_a_multi_tenant_alias()
    {
        var failures = FailuresOf(new() { ["AUTH_ENTRA_TENANT_ID"] = "common", ["AUTH_ENTRA_AUDIENCE"] = "api://inpsyq-weekly" });

        Assert.Equal(["AUTH_ENTRA_TENANT_ID must be the directory (tenant) id, a GUID."], failures);
    }

    private static List<string> FailuresOf(Dictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?> { ["INTERNAL_CRON_SECRET"] = CronSecret, ["INTERNAL_ADMIN_SECRET"] = AdminSecret };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddLogging().AddInPsyqWeeklyHttp(configuration).BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }
        catch (AggregateException e)
        {
            return [.. e.InnerExceptions.OfType<OptionsValidationException>().SelectMany(failure => failure.Failures)];
        }
    }
}
