using System.Globalization;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Diagnostics;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.WorkItems;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary>
/// <c>GET /api/internal/diag/weekly-runs</c> (admin secret): the run history, newest first, with filters
/// <c>week_start</c>, <c>status</c>, <c>trigger</c> (<c>schedule | manual | http | cli</c>), <c>limit</c> (default 50,
/// at most 200) and an opaque <c>cursor</c>, plus the 7/30/90-day aggregates; as a self-contained status page for
/// <c>Accept: text/html</c> or <c>?format=html</c>; each run with its items (total, final) and the hosts that worked
/// them. <c>GET …/weekly-runs/{run_id}</c>: one run with its per-team stage results, its items by status, the hosts
/// that worked them, each org's stage and its throughput.
/// </summary>
public sealed class WeeklyRunsDiagEndpoint(WeeklyRunStore store, WorkItemStore workItems, TimeProvider time)
{
    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var query = request.Query;
        if (DiagQuery.TryReadLimit(query, out var limit) is { } invalidLimit)
        {
            return HttpErrors.For(invalidLimit);
        }

        DateOnly? week = null;
        if (query.TryGetValue("week_start", out var weekText))
        {
            if (!DateOnly.TryParseExact(weekText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            {
                return HttpErrors.For(Refusal.Invalid("INVALID_DATE", "week_start must be a date written YYYY-MM-DD.", "week_start"));
            }

            week = parsed;
        }

        var trigger = query["trigger"].FirstOrDefault();
        if (trigger is not null && !RunNames.TriggerNames.Contains(trigger))
        {
            return HttpErrors.For(Refusal.Invalid(
                "INVALID_TRIGGER", $"trigger must be one of {string.Join(", ", RunNames.TriggerNames)}.", "trigger"));
        }

        RunCursor? after = null;
        if (query.TryGetValue("cursor", out var cursorText))
        {
            if (!RunCursor.TryDecode(cursorText.ToString(), out var cursor))
            {
                return HttpErrors.For(Refusal.Invalid("INVALID_CURSOR", "cursor must be a next_cursor value returned by this endpoint.", "cursor"));
            }

            after = cursor;
        }

        var html = DiagQuery.WantsHtml(request);
        // One row beyond the page tells whether another page exists, so the last page never points at an empty one.
        var runs = await store.ListAsync(
            new RunHistoryQuery(week, query["status"].FirstOrDefault(), trigger, after?.StartedAtUtc, after?.RunId, limit + 1, html),
            cancellationToken);
        string? nextCursor = null;
        if (runs.Count > limit)
        {
            runs.RemoveAt(limit);
            var last = runs[^1];
            nextCursor = new RunCursor((DateTime)last["started_at"]!, (Guid)last["run_id"]!).Encode();
        }

        var now = time.GetUtcNow();
        var aggregates = await store.AggregatesAsync(now, cancellationToken);
        var work = await workItems.SummarizeRunsAsync(runs.Select(run => (Guid)run["run_id"]!).ToList(), cancellationToken);
        if (html)
        {
            return new HtmlResponse(WeeklyStatusPage.Render(
                runs.Select(run => StatusPageRun.From(run, work.GetValueOrDefault((Guid)run["run_id"]!), now)).ToList(), aggregates, now));
        }

        foreach (var run in runs)
        {
            var summary = work.GetValueOrDefault((Guid)run["run_id"]!);
            run["items_total"] = summary?.Progress.ItemsTotal ?? 0;
            run["items_final"] = summary?.Progress.ItemsFinal ?? 0;
            run["host_count"] = summary?.Hosts ?? 0;
        }

        return new JsonResponse(StatusCodes.Status200OK, new { runs, nextCursor, aggregates });
    }

    public async Task<IResult> GetAsync(string runId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(runId, "D", out var id))
        {
            return HttpErrors.For(Refusal.Invalid("INVALID_UUID", "run_id must be a UUID.", "run_id"));
        }

        if (await store.FindAsync(id, cancellationToken) is not { } run)
        {
            return HttpErrors.For(new Refusal(RefusalKind.NotFound, "RUN_NOT_FOUND", $"No run with run_id {id}.", "run_id"));
        }

        var progress = await workItems.ProgressAsync(id, cancellationToken);
        var detail = await workItems.DetailAsync(id, cancellationToken);
        run["items"] = new
        {
            Total = progress.ItemsTotal,
            Pending = detail.ItemsByStatus["pending"],
            Running = detail.ItemsByStatus["running"],
            Final = detail.ItemsByStatus["final"],
            detail.Outcomes,
        };
        run["hosts"] = detail.Hosts;
        run["orgs"] = detail.Orgs;
        run["throughput"] = new
        {
            progress.TeamsTotal,
            progress.TeamsFinal,
            TeamsFinalPerMinute = RunThroughput.TeamsPerMinute(progress.TeamsFinal, run, time.GetUtcNow()),
        };
        return new JsonResponse(StatusCodes.Status200OK, run);
    }
}
