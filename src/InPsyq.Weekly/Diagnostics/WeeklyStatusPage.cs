using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using InPsyq.Weekly.WorkItems;

namespace InPsyq.Weekly.Diagnostics;

/// <summary>
/// The run history as one self-contained HTML page (inline CSS and SVG, no script, no external asset): the 7/30/90-day
/// figures, a timeline of the runs (bar height = duration, colour = status), a team × week grid of stage outcomes
/// (from each week's latest run that processed the team) and the runs themselves with their items, hosts and
/// throughput; a running run's progress comes first. Every value is HTML-encoded.
/// </summary>
internal static class WeeklyStatusPage
{
    private const int ChartWidth = 1160;
    private const int ChartHeight = 220;
    private const int AxisWidth = 70;
    private const int LabelHeight = 40;

    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    private static readonly (string Status, string Colour)[] s_runColours =
    [
        ("completed", "#2e7d32"), ("partial", "#f9a825"), ("failed", "#c62828"),
        ("abandoned", "#6a1b9a"), ("locked", "#78909c"), ("running", "#1565c0"),
    ];

    private static readonly (string Status, string Colour)[] s_stageColours =
    [
        ("succeeded", "#2e7d32"), ("skipped", "#a5d6a7"), ("failed", "#c62828"),
        ("timed_out", "#ef6c00"), ("not_started", "#cfd8dc"), ("locked", "#78909c"),
    ];

    private static readonly string[] s_stageOrder = ["rollup", "attribution", "interpretation"];

    public static string Render(IReadOnlyList<StatusPageRun> runs, JsonElement aggregates, DateTimeOffset now)
    {
        var html = new StringBuilder();
        html.Append("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>InPsyq Weekly – run status</title>
            <style>
            body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#212121;background:#fafafa}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.meta{color:#616161;margin:0 0 16px}
            .cards{display:flex;gap:16px}.card{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px 14px;min-width:220px}
            .card b{font-size:15px}table{border-collapse:collapse;background:#fff}th,td{border:1px solid #e0e0e0;padding:4px 8px;text-align:left}
            th{background:#eceff1}td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px}
            .legend{display:flex;flex-wrap:wrap;gap:14px;margin:6px 0}.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-1px}
            .cell{display:flex;gap:3px}.st{width:22px;height:18px;border-radius:3px;font-size:11px;text-align:center;line-height:18px}
            .pill{padding:1px 8px;border-radius:9px;color:#fff;font-size:12px}
            .bar{display:inline-block;width:360px;height:12px;background:#eceff1;border-radius:6px;overflow:hidden;vertical-align:-1px;margin-right:8px}
            .bar span{display:block;height:100%;background:#1565c0}.progress{margin:0 0 10px}
            </style></head><body>
            <h1>InPsyq Weekly – run status</h1>
            """);
        html.Append(s_invariant, $"<p class=\"meta\">Generated {now:yyyy-MM-dd HH:mm} UTC · {runs.Count} run(s) shown, newest first.</p>");
        AppendAggregates(html, aggregates);
        AppendInProgress(html, runs);
        html.Append("<h2>Timeline</h2>");
        AppendTimeline(html, runs);
        AppendLegend(html, s_runColours);
        html.Append("<h2>Teams × weeks</h2><p class=\"meta\">Each week's latest run that processed the team; one block per stage (R rollup, A attribution, I interpretation).</p>");
        AppendGrid(html, runs);
        AppendLegend(html, s_stageColours);
        html.Append("<h2>Runs</h2>");
        AppendRunTable(html, runs);
        html.Append("</body></html>");
        return html.ToString();
    }

    private static void AppendAggregates(StringBuilder html, JsonElement aggregates)
    {
        html.Append("<div class=\"cards\">");
        foreach (var window in aggregates.EnumerateObject())
        {
            var value = window.Value;
            var runCount = value.GetProperty("runs_by_status").EnumerateObject().Sum(status => status.Value.GetInt64());
            var rates = value.GetProperty("failure_rate");
            var durations = value.GetProperty("duration_ms");
            var tokens = value.GetProperty("llm_tokens");
            html.Append(s_invariant, $"""
                <div class="card"><b>Last {E(window.Name)}</b><br>{runCount} run(s) · run failure rate {Percent(rates.GetProperty("runs"))}<br>
                team-stage failure rate {Percent(rates.GetProperty("teams"))}<br>
                duration p50 {Duration(durations.GetProperty("p50"))} · p95 {Duration(durations.GetProperty("p95"))}<br>
                LLM tokens {tokens.GetProperty("in").GetInt64()} in / {tokens.GetProperty("out").GetInt64()} out</div>
                """);
        }

        html.Append("</div>");
    }

    private static void AppendInProgress(StringBuilder html, IReadOnlyList<StatusPageRun> runs)
    {
        var running = runs.Where(run => run.Status == "running").ToList();
        if (running.Count == 0)
        {
            return;
        }

        html.Append("<h2>In progress</h2>");
        foreach (var run in running)
        {
            var progress = run.Work?.Progress ?? new WorkProgress(0, 0, 0, 0);
            html.Append(s_invariant, $"""
                <div class="card progress"><b>{E(run.WeekLabel)}</b> · {E(run.Scope)} {E(run.Mode)} · started {run.StartedAt:yyyy-MM-dd HH:mm} UTC · run <code>{run.RunId}</code><br>
                """);
            AppendBar(html, "items", progress.ItemsFinal, progress.ItemsTotal);
            AppendBar(html, "teams", progress.TeamsFinal, progress.TeamsTotal);
            html.Append(s_invariant, $"{run.Work?.Hosts ?? 0} host(s) · {Rate(run.TeamsPerMinute)}");
            if (run.Work is { LlmCallsLastMinute: > 0 } llm)
            {
                html.Append(s_invariant, $" · LLM in the last minute: {llm.LlmCallsLastMinute:N0} requests/min, {llm.LlmTokensLastMinute:N0} tokens/min");
            }

            html.Append("</div>");
        }
    }

    private static void AppendBar(StringBuilder html, string what, int final, int total)
    {
        var percent = total == 0 ? 0 : 100.0 * final / total;
        html.Append(s_invariant, $"<span class=\"bar\"><span style=\"width:{percent:0.#}%\"></span></span>{what} {final}/{total} final<br>");
    }

    private static void AppendTimeline(StringBuilder html, IReadOnlyList<StatusPageRun> runs)
    {
        var ordered = runs.OrderBy(run => run.StartedAt).ThenBy(run => run.RunId).ToList();
        var maxDuration = Math.Max(1, ordered.Select(run => run.DurationMs ?? 0).DefaultIfEmpty(0).Max());
        var plotWidth = ChartWidth - AxisWidth - 10;
        var slot = ordered.Count == 0 ? plotWidth : (double)plotWidth / ordered.Count;
        var barWidth = Math.Clamp(slot - 4, 2, 48);
        var labelEvery = Math.Max(1, (int)Math.Ceiling(ordered.Count / 20.0));

        html.Append(s_invariant, $"<svg width=\"{ChartWidth}\" height=\"{ChartHeight + LabelHeight}\" role=\"img\" aria-label=\"Timeline of runs\">");
        html.Append(s_invariant, $"<rect x=\"{AxisWidth}\" y=\"0\" width=\"{plotWidth}\" height=\"{ChartHeight}\" fill=\"#fff\" stroke=\"#e0e0e0\"/>");
        foreach (var fraction in new[] { 0.0, 0.5, 1.0 })
        {
            var y = ChartHeight - (fraction * (ChartHeight - 10));
            html.Append(s_invariant, $"<line x1=\"{AxisWidth}\" x2=\"{AxisWidth + plotWidth}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#eeeeee\"/>");
            html.Append(s_invariant, $"<text x=\"{AxisWidth - 6}\" y=\"{y + 4:0.#}\" font-size=\"11\" text-anchor=\"end\" fill=\"#616161\">{Duration((long)(fraction * maxDuration))}</text>");
        }

        if (ordered.Count == 0)
        {
            html.Append(s_invariant, $"<text x=\"{AxisWidth + 12}\" y=\"{ChartHeight / 2}\" fill=\"#616161\">No runs match.</text>");
        }

        for (var i = 0; i < ordered.Count; i++)
        {
            var run = ordered[i];
            var height = Math.Max(3, (run.DurationMs ?? 0) * (ChartHeight - 10.0) / maxDuration);
            var x = AxisWidth + (i * slot) + ((slot - barWidth) / 2);
            html.Append(s_invariant, $"""<rect x="{x:0.#}" y="{ChartHeight - height:0.#}" width="{barWidth:0.#}" height="{height:0.#}" fill="{RunColour(run.Status)}">""");
            html.Append(s_invariant, $"<title>{E(run.WeekLabel)} · {E(run.Status)} · {Duration(run.DurationMs)} · {E(run.Scope)} {E(run.Mode)} · run {run.RunId}</title></rect>");
            if (i % labelEvery == 0)
            {
                html.Append(s_invariant, $"<text x=\"{x + (barWidth / 2):0.#}\" y=\"{ChartHeight + 16}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#424242\">{E(run.WeekLabel)}</text>");
                html.Append(s_invariant, $"<text x=\"{x + (barWidth / 2):0.#}\" y=\"{ChartHeight + 31}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#757575\">{run.StartedAt:MM-dd HH:mm}</text>");
            }
        }

        html.Append("</svg>");
    }

    private static void AppendGrid(StringBuilder html, IReadOnlyList<StatusPageRun> runs)
    {
        // Newest run first, so the first outcome kept for a (team, week) is that week's latest.
        var cells = new Dictionary<(Guid Team, string Week), StatusPageTeam>();
        var teamNames = new Dictionary<Guid, string>();
        foreach (var run in runs.OrderByDescending(run => run.StartedAt))
        {
            foreach (var team in run.Teams)
            {
                cells.TryAdd((team.TeamId, run.WeekStart), team);
                teamNames.TryAdd(team.TeamId, team.Name);
            }
        }

        if (cells.Count == 0)
        {
            html.Append("<p class=\"meta\">No team results in the runs shown.</p>");
            return;
        }

        var weeks = runs.Select(run => (run.WeekStart, run.WeekLabel)).Distinct().OrderBy(week => week.WeekStart, StringComparer.Ordinal).ToList();
        html.Append("<table><tr><th>Team</th>");
        foreach (var (_, label) in weeks)
        {
            html.Append(s_invariant, $"<th>{E(label)}</th>");
        }

        html.Append("</tr>");
        foreach (var (teamId, name) in teamNames.OrderBy(team => team.Value, StringComparer.Ordinal).ThenBy(team => team.Key))
        {
            html.Append(s_invariant, $"<tr><td>{E(name)} <code>{teamId.ToString()[..8]}</code></td>");
            foreach (var (weekStart, _) in weeks)
            {
                html.Append("<td>");
                if (cells.TryGetValue((teamId, weekStart), out var team))
                {
                    html.Append("<div class=\"cell\">");
                    foreach (var (stage, status) in team.Stages.OrderBy(stage => Array.IndexOf(s_stageOrder, stage.Stage)))
                    {
                        var letter = stage.Length > 0 ? char.ToUpperInvariant(stage[0]).ToString() : "?";
                        var text = status is "skipped" or "not_started" ? "#263238" : "#fff";
                        html.Append(s_invariant, $"<span class=\"st\" style=\"background:{StageColour(status)};color:{text}\" title=\"{E(stage)}: {E(status)}\">{E(letter)}</span>");
                    }

                    html.Append("</div>");
                }

                html.Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
    }

    private static void AppendRunTable(StringBuilder html, IReadOnlyList<StatusPageRun> runs)
    {
        html.Append("<table><tr><th>Started (UTC)</th><th>Week</th><th>Status</th><th>Trigger</th><th>Scope</th><th>Mode</th><th>Duration</th>"
            + "<th>Items final</th><th>Hosts</th><th>Throughput</th><th>Run id</th></tr>");
        foreach (var run in runs)
        {
            var items = run.Work is { } work ? string.Create(s_invariant, $"{work.Progress.ItemsFinal}/{work.Progress.ItemsTotal}") : "–";
            html.Append(s_invariant, $"""
                <tr><td>{run.StartedAt:yyyy-MM-dd HH:mm:ss}</td><td>{E(run.WeekLabel)} <code>{E(run.WeekStart)}</code></td>
                <td><span class="pill" style="background:{RunColour(run.Status)}">{E(run.Status)}</span></td><td>{E(run.Trigger)}</td>
                <td>{E(run.Scope)}</td><td>{E(run.Mode)}</td><td class="num">{Duration(run.DurationMs)}</td>
                <td class="num">{items}</td><td class="num">{(run.Work is { } worked ? worked.Hosts.ToString(s_invariant) : "–")}</td>
                <td class="num">{Rate(run.TeamsPerMinute)}</td><td><code>{run.RunId}</code></td></tr>
                """);
        }

        html.Append("</table>");
    }

    private static void AppendLegend(StringBuilder html, (string Status, string Colour)[] colours)
    {
        html.Append("<div class=\"legend\">");
        foreach (var (status, colour) in colours)
        {
            html.Append(s_invariant, $"<span><span class=\"sw\" style=\"background:{colour}\"></span>{E(status)}</span>");
        }

        html.Append("</div>");
    }

    private static string RunColour(string status) => Colour(s_runColours, status);

    private static string StageColour(string status) => Colour(s_stageColours, status);

    private static string Colour((string Status, string Colour)[] colours, string status) =>
        colours.FirstOrDefault(entry => entry.Status == status).Colour ?? "#9e9e9e";

    private static string Rate(double? teamsPerMinute) =>
        teamsPerMinute is { } rate ? string.Create(s_invariant, $"{rate:0.##} teams/min") : "–";

    private static string Percent(JsonElement rate) =>
        rate.ValueKind == JsonValueKind.Number ? rate.GetDouble().ToString("0.#%", s_invariant) : "–";

    private static string Duration(JsonElement milliseconds) =>
        milliseconds.ValueKind == JsonValueKind.Number ? Duration(milliseconds.GetInt64()) : "–";

    private static string Duration(long? milliseconds) => milliseconds switch
    {
        null => "–",
        < 1000 => string.Create(s_invariant, $"{milliseconds} ms"),
        < 120_000 => string.Create(s_invariant, $"{milliseconds / 1000.0:0.#} s"),
        _ => string.Create(s_invariant, $"{milliseconds / 60_000.0:0.#} min"),
    };

    private static string E(string value) => WebUtility.HtmlEncode(value);
}
