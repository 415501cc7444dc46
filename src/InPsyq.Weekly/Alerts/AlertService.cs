using System.Collections.Concurrent;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Alerts;

/// <summary>What one <see cref="AlertService.DeliverPendingAsync"/> pass did.</summary>
public sealed record AlertDeliveryResult(int Sent, int Retrying, int Failed);

/// <summary>A message to attempt once, now: queued in the outbox, or (Postgres down) not recorded anywhere.</summary>
internal sealed record InlineSend(AlertMessage Message, string Payload, OutboxEntry? Queued);

/// <summary>
/// Raises alerts once per incident (group, scope, week), sends one recovery per open incident, and delivers
/// through <c>alert_outbox</c>: one inline attempt bounded by the webhook timeout, later attempts by
/// <see cref="DeliverPendingAsync"/> (the run-reaper) with exponential backoff, up to <c>ALERT_WEBHOOK_MAX_ATTEMPTS</c>.
/// When Postgres is unreachable, incidents are kept in this process and sent once, without retries.
/// </summary>
public sealed partial class AlertService(
    NpgsqlDataSource dataSource,
    AlertWebhookClient webhook,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<AlertService> logger)
{
    private const int DeliveryBatchSize = 20;
    private static readonly TimeSpan s_firstRetryDelay = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan s_maxRetryDelay = TimeSpan.FromHours(1);

    private readonly AlertStore _store = new(dataSource);
    private readonly ConcurrentDictionary<IncidentKey, Incident> _openWhileDatabaseDown = new();

    /// <summary>
    /// Keeps a message away from <see cref="DeliverPendingAsync"/> while someone attempts it; outlives any attempt,
    /// so only a process that died mid-attempt leaves it to the reaper.
    /// </summary>
    private TimeSpan Claim => options.Value.Timeout + TimeSpan.FromMinutes(1);

    /// <summary>
    /// Raises a <c>run_abandoned</c> or <c>week_missed</c> alert (the reaper and the missed-run watch call this), or
    /// does nothing when the incident of (kind's group, <paramref name="scope"/>, <paramref name="week"/>) is open.
    /// </summary>
    /// <param name="scope"><c>all</c>, <c>org:{id}</c> or <c>team:{id}</c>, as in <c>weekly_runs.scope</c>.</param>
    /// <param name="summary">One sentence for people; ids and codes only, no survey data.</param>
    /// <returns>Whether this opened an incident (and so sent or queued an alert).</returns>
    public async Task<bool> RaiseAsync(AlertKind kind, string scope, IsoWeek week, Guid? runId, string summary, CancellationToken cancellationToken)
    {
        if (kind == AlertKind.Recovery)
        {
            throw new ArgumentException("Recovery messages follow completed runs; they are not raised.", nameof(kind));
        }

        var (opened, sends) = await OpenAsync(new AlertMessage(kind, scope, week, runId, summary), cancellationToken);
        await SendInlineAsync(sends, cancellationToken);
        return opened;
    }

    /// <summary>Opens the message's incident unless it is open; returns whether it did, and the message to send now.</summary>
    internal async Task<(bool Opened, IReadOnlyList<InlineSend> Sends)> OpenAsync(AlertMessage message, CancellationToken cancellationToken)
    {
        var key = new IncidentKey(message.Kind.DedupGroup(), message.Scope, message.Week);
        var payload = Render(message);
        var now = time.GetUtcNow();
        (bool Opened, OutboxEntry? Queued) result;
        try
        {
            result = await _store.OpenAsync(key, message.Kind, message.RunId, payload, now, now + Claim, cancellationToken);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            LogDatabaseUnavailable(e.GetType().Name);
            var opened = _openWhileDatabaseDown.TryAdd(key, new Incident(key, message.Kind, message.RunId, now));
            return (opened, opened ? Unrecorded(message, payload) : []);
        }

        if (!result.Opened)
        {
            LogAlreadyOpen(message.Kind.ToWire(), message.Scope, message.Week.ToString());
            return (false, []);
        }

        LogOpened(message.Kind.ToWire(), message.Scope, message.Week.ToString());
        return (true, result.Queued is { } queued ? [new InlineSend(message, queued.Payload, queued)] : []);
    }

    /// <summary>
    /// Resolves the open incidents of <paramref name="groups"/> that a finished run clears; returns their recovery
    /// messages to send now.
    /// </summary>
    internal async Task<IReadOnlyList<InlineSend>> ResolveAsync(
        IReadOnlyList<string> groups, string scope, IsoWeek week, Guid runId, Func<Incident, AlertMessage> recovery, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        IReadOnlyList<(Incident Incident, OutboxEntry? Queued)> resolved;
        try
        {
            resolved = await _store.ResolveAsync(groups, scope, week, runId, incident => Render(recovery(incident)), now, now + Claim, cancellationToken);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            LogDatabaseUnavailable(e.GetType().Name);
            return
            [
                .. _openWhileDatabaseDown.Keys
                    .Where(key => key.Week == week && groups.Contains(key.Group) && (scope == "all" || key.Scope == scope))
                    .Select(key => _openWhileDatabaseDown.TryRemove(key, out var incident) ? incident : null)
                    .OfType<Incident>()
                    .Select(recovery)
                    .SelectMany(message => Unrecorded(message, Render(message))),
            ];
        }

        var sends = new List<InlineSend>();
        foreach (var (incident, queued) in resolved)
        {
            LogResolved(incident.Kind.ToWire(), incident.Key.Scope, week.ToString(), runId);
            if (queued is not null)
            {
                sends.Add(new InlineSend(recovery(incident), queued.Payload, queued));
            }
        }

        return sends;
    }

    /// <summary>
    /// The one inline attempt of each message, all at once, so a dead webhook holds the caller up by one timeout
    /// however many messages there are. Failures are recorded for <see cref="DeliverPendingAsync"/>, never thrown.
    /// </summary>
    internal Task SendInlineAsync(IEnumerable<InlineSend> sends, CancellationToken cancellationToken) =>
        Task.WhenAll(sends.Select(send => SendInlineAsync(send, cancellationToken)));

    /// <summary>
    /// Attempts every pending message whose next attempt is due (the run-reaper calls this). Does nothing without
    /// <c>ALERT_WEBHOOK_URL</c>; messages queued before it was removed wait for it.
    /// </summary>
    public async Task<AlertDeliveryResult> DeliverPendingAsync(CancellationToken cancellationToken)
    {
        var (sent, retrying, failed) = (0, 0, 0);
        if (!options.Value.Enabled)
        {
            return new AlertDeliveryResult(sent, retrying, failed);
        }

        while (true)
        {
            var now = time.GetUtcNow();
            var due = await _store.ClaimDueAsync(now, now + Claim, DeliveryBatchSize, cancellationToken);
            if (due.Count == 0)
            {
                return new AlertDeliveryResult(sent, retrying, failed);
            }

            foreach (var entry in due)
            {
                switch (await AttemptAsync(entry, cancellationToken))
                {
                    case OutboxStatus.Sent: sent++; break;
                    case OutboxStatus.Pending: retrying++; break;
                    default: failed++; break;
                }
            }
        }
    }

    private string? Render(AlertMessage message) =>
        options.Value.Enabled ? AlertPayload.Render(message, options.Value.PayloadFormat) : null;

    private async Task SendInlineAsync(InlineSend send, CancellationToken cancellationToken)
    {
        if (send.Queued is null)
        {
            var error = await webhook.PostAsync(send.Payload, cancellationToken);
            LogSentWithoutOutbox(send.Message.Kind.ToWire(), send.Message.Scope, send.Message.Week.ToString(), error ?? "sent");
            return;
        }

        try
        {
            await AttemptAsync(send.Queued, cancellationToken);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            // The message stays pending under its claim; the reaper attempts it again once the claim ends.
            LogAttemptUnrecorded(send.Queued.Id, e.GetType().Name);
        }
    }

    private async Task<OutboxStatus> AttemptAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        var error = await webhook.PostAsync(entry.Payload, cancellationToken);
        var attempts = entry.Attempts + 1;
        var now = time.GetUtcNow();
        var status = error is null ? OutboxStatus.Sent : attempts >= options.Value.MaxAttempts ? OutboxStatus.Failed : OutboxStatus.Pending;
        var nextAttemptAt = status == OutboxStatus.Pending ? now + RetryDelay(attempts) : (DateTimeOffset?)null;
        await _store.RecordAttemptAsync(entry.Id, attempts, status, error, nextAttemptAt, status == OutboxStatus.Sent ? now : null, cancellationToken);
        switch (status)
        {
            case OutboxStatus.Sent:
                LogSent(entry.Id, attempts);
                break;
            case OutboxStatus.Pending:
                LogAttemptFailed(entry.Id, attempts, options.Value.MaxAttempts, error!, nextAttemptAt!.Value);
                break;
            default:
                LogGaveUp(entry.Id, attempts, error!);
                break;
        }

        return status;
    }

    /// <summary>Postgres is down: the message goes out once, unrecorded (nothing when alerts are off).</summary>
    private static IReadOnlyList<InlineSend> Unrecorded(AlertMessage message, string? payload) =>
        payload is null ? [] : [new InlineSend(message, payload, Queued: null)];

    /// <summary>1 min after the first attempt, doubling, at most 1 h.</summary>
    private static TimeSpan RetryDelay(int attempts) =>
        TimeSpan.FromTicks(Math.Min(s_maxRetryDelay.Ticks, s_firstRetryDelay.Ticks << Math.Min(attempts - 1, 10)));

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {Kind} for {Scope}, week {WeekStart}: incident opened")]
    private partial void LogOpened(string kind, string scope, string weekStart);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {Kind} for {Scope}, week {WeekStart} not sent: its incident is already open")]
    private partial void LogAlreadyOpen(string kind, string scope, string weekStart);

    [LoggerMessage(Level = LogLevel.Information, Message = "Incident {Kind} for {Scope}, week {WeekStart} resolved by run {RunId}")]
    private partial void LogResolved(string kind, string scope, string weekStart, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {OutboxId} sent (attempt {Attempt})")]
    private partial void LogSent(long outboxId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {OutboxId} attempt {Attempt} of {MaxAttempts} failed: {Error}; next attempt at {NextAttemptAt:o}")]
    private partial void LogAttemptFailed(long outboxId, int attempt, int maxAttempts, string error, DateTimeOffset nextAttemptAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert {OutboxId} failed after {Attempts} attempts: {Error}; it will not be retried")]
    private partial void LogGaveUp(long outboxId, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record the attempt of alert {OutboxId} ({Reason}); the run-reaper will attempt it again")]
    private partial void LogAttemptUnrecorded(long outboxId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert state is unavailable in Postgres ({Reason}); deduplicating in this process and sending without retries")]
    private partial void LogDatabaseUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Kind} for {Scope}, week {WeekStart} sent without the outbox: {Outcome}")]
    private partial void LogSentWithoutOutbox(string kind, string scope, string weekStart, string outcome);
}
