using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>How a run is cut into work items and how a delivery of one is worked.</summary>
public sealed class WorkOptions
{
    /// <summary>Teams per work item (team_id order).</summary>
    [ConfigurationKeyName("WEEKLY_WORK_ITEM_TEAMS")]
    public int ItemTeams { get; set; } = 25;

    /// <summary>Deliveries of an item before it is final <c>failed</c> (its teams <c>WORK_ITEM_POISONED</c>).</summary>
    [ConfigurationKeyName("WEEKLY_WORK_MAX_ATTEMPTS")]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>How often a worker says the run is alive while it holds one of its items.</summary>
    [ConfigurationKeyName("WEEKLY_RUN_HEARTBEAT_SECONDS")]
    public double HeartbeatSeconds { get; set; } = 30;

    public TimeSpan Heartbeat => TimeSpan.FromSeconds(HeartbeatSeconds);
}
