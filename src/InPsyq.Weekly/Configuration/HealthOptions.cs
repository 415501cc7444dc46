using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>Budgets of health checks and of the dependency probe that precedes every run.</summary>
public sealed class HealthOptions
{
    [ConfigurationKeyName("HEALTH_CHECK_TIMEOUT_SECONDS")]
    public double CheckTimeoutSeconds { get; set; } = 2;

    public TimeSpan CheckTimeout => TimeSpan.FromSeconds(CheckTimeoutSeconds);
}
