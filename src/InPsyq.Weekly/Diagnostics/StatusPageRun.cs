using System.Text.Json;
using InPsyq.Weekly.WorkItems;

namespace InPsyq.Weekly.Diagnostics;

/// <summary>One team's stage outcomes in one run, as the status page shows them.</summary>
internal sealed record StatusPageTeam(Guid TeamId, string Name, IReadOnlyList<(string Stage, string Status)> Stages);

/// <summary>
/// One run as the status page shows it, read from a <c>weekly_runs</c> row with its details and the summary of its
/// work items (none for a run that has no items), with its throughput in teams final per minute.
/// </summary>
internal sealed record StatusPageRun(
    Guid RunId, string WeekStart, string WeekLabel, string Status, string Trigger, string Scope, string Mode,
    DateTime StartedAt, long? DurationMs, IReadOnlyList<StatusPageTeam> Teams, RunWorkSummary? Work, double? TeamsPerMinute)
{
    public static StatusPageRun From(Dictionary<string, object?> row, RunWorkSummary? work, DateTimeOffset now)
    {
        var teams = new List<StatusPageTeam>();
        if (row.GetValueOrDefault("details") is JsonElement details
            && details.TryGetProperty("teams", out var teamsJson) && teamsJson.ValueKind == JsonValueKind.Array)
        {
            foreach (var team in teamsJson.EnumerateArray())
            {
                var stages = team.TryGetProperty("stages", out var stagesJson) && stagesJson.ValueKind == JsonValueKind.Array
                    ? stagesJson.EnumerateArray().Select(stage => (Text(stage, "stage"), Text(stage, "status"))).ToList()
                    : [];
                if (Guid.TryParse(Text(team, "team_id"), out var teamId))
                {
                    teams.Add(new StatusPageTeam(teamId, Text(team, "name"), stages));
                }
            }
        }

        return new StatusPageRun(
            (Guid)row["run_id"]!,
            (string)row["week_start"]!,
            (string)row["week_label"]!,
            (string)row["status"]!,
            (string)row["trigger"]!,
            (string)row["scope"]!,
            (string)row["mode"]!,
            (DateTime)row["started_at"]!,
            row["duration_ms"] as long?,
            teams,
            work,
            work is null ? null : RunThroughput.TeamsPerMinute(work.Progress.TeamsFinal, row, now));
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;
}
