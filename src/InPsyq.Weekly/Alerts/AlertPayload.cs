using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;

namespace InPsyq.Weekly.Alerts;

/// <summary>Shapes an <see cref="AlertMessage"/> as the webhook body: Slack blocks within Slack's limits, or plain JSON.</summary>
internal static class AlertPayload
{
    public const int MaxBlocks = 50;
    public const int MaxSectionText = 3000;
    private const int MaxHeaderText = 150;

    public static string Render(AlertMessage message, AlertFormat format) => format switch
    {
        AlertFormat.Json => JsonSerializer.Serialize(
            new JsonBody(message.Kind.ToWire(), message.Scope, message.Week.ToString(), message.Week.Label, message.RunId,
                message.Trigger, message.Status, message.Counts, message.Errors, message.Summary),
            WeeklyJson.Options),
        _ => Slack(message).ToJsonString(),
    };

    private static JsonObject Slack(AlertMessage message)
    {
        var title = $"{message.Kind.Title()}: {message.Scope}, {message.Week.Label}";
        var blocks = new JsonArray
        {
            new JsonObject { ["type"] = "header", ["text"] = Text("plain_text", Truncate(title, MaxHeaderText)) },
            Section(Escape(message.Summary)),
            new JsonObject { ["type"] = "section", ["fields"] = new JsonArray([.. Facts(message).Select(fact => Text("mrkdwn", fact))]) },
        };
        if (message.Counts is { } counts)
        {
            blocks.Add(Section(string.Create(CultureInfo.InvariantCulture,
                $"*Teams:* {counts.TeamsTotal} total, {counts.TeamsSucceeded} succeeded, {counts.TeamsSkipped} skipped, {counts.TeamsFailed} failed · *Orgs:* {counts.OrgsTotal} total, {counts.OrgsFailed} failed")));
        }

        if (message.FailingTeams.Count > 0)
        {
            blocks.Add(Section(BulletList("*Failed or timed-out teams*", message.FailingTeams.Select(team =>
                $"team `{team.TeamId}` (org `{team.OrgId}`): {team.Stage} {team.Status}{(team.Code is null ? "" : $" `{team.Code}`")}"))));
        }

        var runErrors = message.Errors.Where(error => error.Stage is null).ToList();
        if (runErrors.Count > 0)
        {
            blocks.Add(Section(BulletList("*Run errors*", runErrors.Select(error => $"`{error.Code}`"))));
        }

        return new JsonObject { ["text"] = Truncate($"{title}. {message.Summary}", MaxSectionText), ["blocks"] = blocks };
    }

    private static IEnumerable<string> Facts(AlertMessage message)
    {
        yield return $"*Week*\n{message.Week.Label} ({message.Week})";
        yield return $"*Scope*\n{message.Scope}";
        if (message.Mode is { } mode)
        {
            yield return $"*Mode*\n{mode}";
        }

        if (message.Trigger is { } trigger)
        {
            yield return $"*Trigger*\n{trigger}";
        }

        if (message.Status is { } status)
        {
            yield return $"*Status*\n{status}";
        }

        if (message.RunId is { } runId)
        {
            yield return $"*Run*\n`{runId}`";
        }
    }

    /// <summary>A bulleted list cut to one section, ending with "…and N more" when not every line fits.</summary>
    internal static string BulletList(string heading, IEnumerable<string> items)
    {
        var lines = items.Select(item => $"\n• {item}").ToList();
        var text = new StringBuilder(heading);
        var reserve = $"\n…and {lines.Count} more".Length;
        var shown = 0;
        while (shown < lines.Count && text.Length + lines[shown].Length + (shown == lines.Count - 1 ? 0 : reserve) <= MaxSectionText)
        {
            text.Append(lines[shown++]);
        }

        if (shown < lines.Count)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n…and {lines.Count - shown} more");
        }

        return text.ToString();
    }

    private static JsonObject Section(string mrkdwn) =>
        new() { ["type"] = "section", ["text"] = Text("mrkdwn", Truncate(mrkdwn, MaxSectionText)) };

    private static JsonObject Text(string type, string text) => new() { ["type"] = type, ["text"] = text };

    private static string Truncate(string text, int length) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length - 1), "…");

    /// <summary>Slack reads <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> as control characters in mrkdwn.</summary>
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private sealed record JsonBody(
        string Kind, string Scope, string WeekStart, string WeekLabel, Guid? RunId, string? Trigger, string? Status,
        RunCounts? Counts, IReadOnlyList<AlertError> Errors, string Summary);
}
