using System.Globalization;
using System.Text;
using System.Text.Json;
using InPsyq.Weekly.Weeks;
using Npgsql;

namespace InPsyq.Weekly.Demo;

/// <summary>
/// What a person wants to see after a weekly run: each team's index states for the week, and the active
/// interpretation of one team, read back from the tables the pipeline wrote.
/// </summary>
public sealed class WeekSummary(NpgsqlDataSource dataSource)
{
    private static readonly string[] s_indices = ["strain", "withdrawal_risk", "trust_gap", "engagement"];

    private static readonly string[] s_sections =
        ["executive_summary", "what_changed", "primary_drivers", "risk_outlook", "recommended_focus", "confidence_and_limits"];

    public async Task<string> RenderAsync(IsoWeek week, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Index states for {week.Label} (week of {week}):");
        text.AppendLine(CultureInfo.InvariantCulture, $"  {"Team",-24} {"respondents",11}  {string.Join("  ", s_indices.Select(index => $"{index,-22}"))}");
        await using (var command = dataSource.CreateCommand("""
            select t.name, a.respondents, a.suppressed, a.indices::text
            from teams t join weekly_aggregates a on a.team_id = t.team_id and a.week_start = $1
            order by t.org_id, t.name
            """))
        {
            command.Parameters.Add(new() { Value = week.Monday });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var any = false;
            while (await reader.ReadAsync(cancellationToken))
            {
                any = true;
                var states = reader.GetBoolean(2)
                    ? s_indices.Select(_ => "suppressed (anonymity)")
                    : IndexCells(JsonDocument.Parse(reader.GetString(3)).RootElement);
                text.AppendLine(CultureInfo.InvariantCulture, $"  {reader.GetString(0),-24} {reader.GetInt32(1),11}  {string.Join("  ", states.Select(state => $"{state,-22}"))}");
            }

            if (!any)
            {
                text.AppendLine("  (no aggregates for this week)");
            }
        }

        await using (var command = dataSource.CreateCommand("""
            select t.name, i.model_id, i.sections::text
            from weekly_interpretations i
            join teams t on t.team_id = i.team_id
            join weekly_aggregates a on a.team_id = i.team_id and a.week_start = i.week_start
            where i.week_start = $1 and i.is_active
            order by (a.indices -> 'strain' ->> 'value')::float8 desc nulls last, t.name
            limit 1
            """))
        {
            command.Parameters.Add(new() { Value = week.Monday });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            text.AppendLine();
            if (!await reader.ReadAsync(cancellationToken))
            {
                text.AppendLine("No interpretation for this week.");
            }
            else
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"Interpretation of {reader.GetString(0)}, the team under most strain (model {reader.GetString(1)}):");
                AppendSections(text, JsonDocument.Parse(reader.GetString(2)).RootElement);
            }
        }

        return text.ToString().TrimEnd();
    }

    private static IEnumerable<string> IndexCells(JsonElement indices) => s_indices.Select(index =>
        indices.TryGetProperty(index, out var value) && value.ValueKind == JsonValueKind.Object
            && value.TryGetProperty("value", out var number) && number.ValueKind == JsonValueKind.Number
            ? string.Create(CultureInfo.InvariantCulture, $"{value.GetProperty("state").GetString()} ({number.GetDouble():0.00})")
            : "n/a");

    private static void AppendSections(StringBuilder text, JsonElement sections)
    {
        foreach (var name in s_sections)
        {
            if (sections.TryGetProperty(name, out var section))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {name.Replace('_', ' ')}:");
                foreach (var line in Lines(section))
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"    {line}");
                }
            }
        }
    }

    /// <summary>Text as lines: strings as they are, lists as bullets, <c>{label, note}</c> items as "label: note".</summary>
    private static IEnumerable<string> Lines(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => [value.GetString()!],
        JsonValueKind.Array => value.EnumerateArray().SelectMany(Lines).Select(line => "- " + line),
        JsonValueKind.Object when value.TryGetProperty("label", out var label) && value.TryGetProperty("note", out var note) =>
            [$"{label.GetString()}: {note.GetString()}"],
        JsonValueKind.Object => value.EnumerateObject().SelectMany(property => Lines(property.Value).Select(line => $"{property.Name} {line}")),
        _ => [value.GetRawText()],
    };
}
