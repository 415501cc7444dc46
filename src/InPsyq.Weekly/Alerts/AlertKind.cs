namespace InPsyq.Weekly.Alerts;

/// <summary>What an alert reports. Recovery messages close the incident an earlier alert opened.</summary>
public enum AlertKind
{
    RunFailed,
    RunPartial,
    RunAbandoned,
    WeekMissed,
    Recovery,
}

/// <summary>The body posted to <c>ALERT_WEBHOOK_URL</c>.</summary>
public enum AlertFormat
{
    /// <summary>Slack incoming-webhook shape: <c>text</c> plus <c>blocks</c>.</summary>
    Slack,

    /// <summary>A plain structured body for other receivers.</summary>
    Json,
}

/// <summary>Wire names, dedup groups and titles of the alert kinds.</summary>
public static class AlertKinds
{
    /// <summary>Failed, partial and abandoned runs of one scope and week are one incident: one alert, one recovery.</summary>
    public const string RunProblemGroup = "run_problem";

    public const string WeekMissedGroup = "week_missed";

    public static string ToWire(this AlertKind kind) => kind switch
    {
        AlertKind.RunFailed => "run_failed",
        AlertKind.RunPartial => "run_partial",
        AlertKind.RunAbandoned => "run_abandoned",
        AlertKind.WeekMissed => "week_missed",
        AlertKind.Recovery => "recovery",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static AlertKind Parse(string wire) =>
        Enum.GetValues<AlertKind>().Single(kind => kind.ToWire() == wire);

    /// <summary>The dedup group of an alerting kind; recovery messages belong to the group of the incident they close.</summary>
    public static string DedupGroup(this AlertKind kind) => kind switch
    {
        AlertKind.RunFailed or AlertKind.RunPartial or AlertKind.RunAbandoned => RunProblemGroup,
        AlertKind.WeekMissed => WeekMissedGroup,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), "A recovery has no group of its own."),
    };

    public static string Title(this AlertKind kind) => kind switch
    {
        AlertKind.RunFailed => "Weekly run failed",
        AlertKind.RunPartial => "Weekly run partly failed",
        AlertKind.RunAbandoned => "Weekly run abandoned",
        AlertKind.WeekMissed => "Weekly run missed",
        AlertKind.Recovery => "Weekly run recovered",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
