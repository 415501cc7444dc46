using InPsyq.Weekly.Alerts;
using InPsyq.Weekly.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.UnitTests.Alerts;

public sealed class AlertOptionsTests
{
    [Fact]
    public void Defaults_are_slack_5_seconds_and_3_attempts_and_an_empty_url_means_alerts_are_off()
    {
        var options = Bind(new() { ["ALERT_WEBHOOK_URL"] = "" });

        Assert.Equal((false, AlertFormat.Slack, TimeSpan.FromSeconds(5), 3), (options.Enabled, options.PayloadFormat, options.Timeout, options.MaxAttempts));
    }

    [Fact]
    public void Invalid_settings_are_named_and_the_url_is_never_echoed()
    {
        const string url = "hooks.example.com/services/T0001/B0001/secret-token";

        var failure = Assert.Throws<OptionsValidationException>(() => Bind(new()
        {
            ["ALERT_WEBHOOK_URL"] = url,
            ["ALERT_WEBHOOK_FORMAT"] = "teams",
            ["ALERT_WEBHOOK_TIMEOUT_SECONDS"] = "0",
            ["ALERT_WEBHOOK_MAX_ATTEMPTS"] = "0",
        }));

        Assert.Equal(
            ["ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_FORMAT", "ALERT_WEBHOOK_TIMEOUT_SECONDS", "ALERT_WEBHOOK_MAX_ATTEMPTS"],
            failure.Failures.Select(message => message.Split(' ')[0]));
        Assert.DoesNotContain("secret-token", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://hooks.example.com/services/T0001/B0001/secret-token")]
    [InlineData("http://10.0.0.5/services/T0001/B0001/secret-token")]
    [InlineData("ftp://hooks.example.com/services/T0001/B0001/secret-token")]
    public void The_webhook_is_https_only_and_the_setting_is_named(string url)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Bind(new() { ["ALERT_WEBHOOK_URL"] = url }));

        Assert.Equal(["ALERT_WEBHOOK_URL must be an absolute https URL (plain http is accepted for a loopback host only)."], failure.Failures);
        Assert.DoesNotContain("secret-token", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://hooks.example.com/services/T0001/B0001/secret-token")]
    [InlineData("http://127.0.0.1:8080/services/T0001/B0001/secret-token")]
    [InlineData("http://localhost:8080/services/T0001/B0001/secret-token")]
    [InlineData("http://[::1]:8080/services/T0001/B0001/secret-token")]
    public void Https_and_plain_http_to_a_loopback_host_are_accepted(string url)
    {
        Assert.True(Bind(new() { ["ALERT_WEBHOOK_URL"] = url }).Enabled);
    }

    [Fact]
    public void An_unresolved_key_vault_reference_fails_start_up_naming_the_setting()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Bind(new()
        {
            ["ALERT_WEBHOOK_URL"] = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/alert-webhook-url/)",
        }));

        Assert.Equal([PlatformReference.Describe("ALERT_WEBHOOK_URL")], failure.Failures);
    }

    private static AlertOptions Bind(Dictionary<string, string?> settings)
    {
        using var provider = new ServiceCollection()
            .AddAlerts(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();
        return provider.GetRequiredService<IOptions<AlertOptions>>().Value;
    }
}
