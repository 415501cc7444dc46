namespace InPsyq.Weekly.Tests.Alerts;

public static class AlertTesting
{
    /// <summary>Alert settings with a short timeout; <paramref name="url"/> null leaves alerts unconfigured.</summary>
    public static Dictionary<string, string?> Settings(string? url, params (string Key, string Value)[] overrides)
    {
        var settings = new Dictionary<string, string?> { ["ALERT_WEBHOOK_URL"] = url, ["ALERT_WEBHOOK_TIMEOUT_SECONDS"] = "1" };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }
}
