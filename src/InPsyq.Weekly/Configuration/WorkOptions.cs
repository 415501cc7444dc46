using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Configuration;

/// <summary>How a run is cut into work items, and how the instances work them off the queue.</summary>
public sealed class WorkOptions
{
    /// <summary>The work queue, on the storage account of the blob containers; <c>{queue}-poison</c> holds what could not be worked.</summary>
    [ConfigurationKeyName("WEEKLY_WORK_QUEUE")]
    public string Queue { get; set; } = "weekly-work";

    /// <summary>
    /// Teams per work item (team_id order). Small enough that the last interpretation items of a run, which wait on
    /// the LLM, end close together on every instance instead of leaving one instance working while the others idle.
    /// </summary>
    [ConfigurationKeyName("WEEKLY_WORK_ITEM_TEAMS")]
    public int ItemTeams { get; set; } = 10;

    /// <summary>Deliveries of an item before it is final <c>failed</c> (its teams <c>WORK_ITEM_POISONED</c>).</summary>
    [ConfigurationKeyName("WEEKLY_WORK_MAX_ATTEMPTS")]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// How long one delivery of an item may start teams; the teams it did not reach go to a new item of the same
    /// stage. In Azure, the budget plus the longest team's timeout must end a minute before the host's <c>functionTimeout</c>.
    /// </summary>
    [ConfigurationKeyName("WEEKLY_WORK_ITEM_BUDGET_SECONDS")]
    public double ItemBudgetSeconds { get; set; } = 230;

    /// <summary>Items a standalone process works at once.</summary>
    [ConfigurationKeyName("WEEKLY_WORKERS")]
    public int Workers { get; set; } = 2;

    /// <summary>How long a received message stays invisible to other instances; renewed while its item is worked.</summary>
    [ConfigurationKeyName("WEEKLY_WORK_VISIBILITY_SECONDS")]
    public double VisibilitySeconds { get; set; } = 90;

    [ConfigurationKeyName("WEEKLY_WORK_RENEW_SECONDS")]
    public double RenewSeconds { get; set; } = 30;

    /// <summary>How long an idle worker waits before it looks at the queue again.</summary>
    [ConfigurationKeyName("WEEKLY_WORK_POLL_SECONDS")]
    public double PollSeconds { get; set; } = 1;

    /// <summary>Outbox rows older than this whose send was not confirmed are sent again (by any worker).</summary>
    [ConfigurationKeyName("WEEKLY_WORK_OUTBOX_RESEND_SECONDS")]
    public double OutboxResendSeconds { get; set; } = 10;

    /// <summary>How often a worker says the run is alive while it holds one of its items.</summary>
    [ConfigurationKeyName("WEEKLY_RUN_HEARTBEAT_SECONDS")]
    public double HeartbeatSeconds { get; set; } = 30;

    /// <summary>
    /// A run whose last heartbeat is older than this is stalled (its workers are gone). In Azure it must exceed the
    /// Functions host's 10-minute redelivery of a message whose instance died.
    /// </summary>
    [ConfigurationKeyName("WEEKLY_RUN_STALL_SECONDS")]
    public double StallSeconds { get; set; } = 900;

    /// <summary>How long <c>POST internal/run-weekly</c> waits for its run to end before it answers 202 with a status URL.</summary>
    [ConfigurationKeyName("WEEKLY_HTTP_WAIT_SECONDS")]
    public double HttpWaitSeconds { get; set; } = 25;

    public TimeSpan ItemBudget => TimeSpan.FromSeconds(ItemBudgetSeconds);
    public TimeSpan Visibility => TimeSpan.FromSeconds(VisibilitySeconds);
    public TimeSpan Renew => TimeSpan.FromSeconds(RenewSeconds);
    public TimeSpan Poll => TimeSpan.FromSeconds(PollSeconds);
    public TimeSpan OutboxResend => TimeSpan.FromSeconds(OutboxResendSeconds);
    public TimeSpan Heartbeat => TimeSpan.FromSeconds(HeartbeatSeconds);
    public TimeSpan Stall => TimeSpan.FromSeconds(StallSeconds);
    public TimeSpan HttpWait => TimeSpan.FromSeconds(HttpWaitSeconds);
}
