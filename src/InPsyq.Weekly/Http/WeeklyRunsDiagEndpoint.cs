using System.Globalization;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Diagnostics;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary>
/// <c>GET /api/internal/diag/weekly-runs</c> (admin secret): the run history, newest first, with filters
/// <c>week_start</c>, <c>status</c>, <c>trigger</c> (<c>schedule | manual | http | cli</c>), <c>limit</c> (default 50,
/// at most 200) and an opaque <c>cursor</c>, plus the 7/30/90-day aggregates; as a self-contained status page for
/// <c>Accept: text/html</c> or <c>?format=html</c>. <c>GET …/weekly-runs/{run_id}</c>: one run with its per-team stage results.
/// </summary>
public sealed class WeeklyRunsDiagEndpoint(WeeklyRunStore store, TimeProvider time)
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
        return html
            ? new HtmlResponse(WeeklyStatusPage.Render(runs.Select(StatusPageRun.From).ToList(), aggregates, now))
            : new JsonResponse(StatusCodes.Status200OK, new { runs, nextCursor, aggregates });
    }

    public async Task<IResult> GetAsync(string runId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(runId, "D", out var id))
        {
            return HttpErrors.For(Refusal.Invalid("INVALID_UUID", "run_id must be a UUID.", "run_id"));
        }

        return await store.FindAsync(id, cancellationToken) is { } run
            ? new JsonResponse(StatusCodes.Status200OK, run)
            : HttpErrors.For(new Refusal(RefusalKind.NotFound, "RUN_NOT_FOUND", $"No run with run_id {id}.", "run_id"));
    }
}
