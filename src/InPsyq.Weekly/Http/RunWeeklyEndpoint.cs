using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Weeks;
using Microsoft.AspNetCore.Http;
using InPsyq.Weekly.WorkItems;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Http;

/// <summary>
/// <c>POST /api/internal/run-weekly</c> (cron secret). After the method and the secret (<see cref="WeeklyApi"/>), the
/// checks run in the contract's order: size, media type, body, fields; then the runner admits and runs the request.
/// The body is read as JSON whatever its content type, so the runbook's plain <c>curl -d</c> works.
/// </summary>
public sealed class RunWeeklyEndpoint(
    WeeklyRunner runner, WeeklyRunStore runs, WorkItemStore workItems, IOptions<WorkOptions> work, TimeProvider time, IHostApplicationLifetime lifetime)
{
    private static readonly string s_retryAfter = "10";

    public const int MaxBodyBytes = 16 * 1024;

    /// <param name="caller">Who called, when an Entra ID token was presented: recorded on the audit row.</param>
    public async Task<IResult> HandleAsync(HttpRequest request, CallerIdentity? caller, CancellationToken cancellationToken)
    {
        var body = await RequestBody.ReadAsync(request, MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return HttpErrors.BodyTooLarge(MaxBodyBytes);
        }

        if (request.ContentType is { } contentType && contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            return HttpErrors.UnsupportedMediaType();
        }

        var draft = RunRequestBodyReader.Read(body, out var error);
        var runRequest = error is null ? RunRequestValidator.Validate(draft, IsoWeek.Containing(time.GetUtcNow()), out error) : null;
        if (error is not null)
        {
            return HttpErrors.For(error);
        }

        // A run outlives a client that hangs up: it is bounded by its own deadline and stopped only by host shutdown.
        var result = await runner.RunAsync(runRequest! with { Caller = caller }, RunTrigger.Http, lifetime.ApplicationStopping, work.Value.HttpWait);
        return result switch
        {
            { Refusal: { } refusal } => HttpErrors.For(refusal),
            { RunningRunId: { } runId } => (await RunningAsync(runId, cancellationToken)).WithHeader("Location", StatusUrlOf(runId)),
            _ => new JsonResponse(StatusOf(result.Report!.Status), result.Report!),
        };
    }

    /// <summary>
    /// <c>GET /api/internal/run-weekly/{run_id}</c> (cron secret): while the run is worked, 200 with its progress; once
    /// it is final, its report with the status the POST would have answered.
    /// </summary>
    public async Task<IResult> StatusAsync(string runIdText, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(runIdText, "D", out var runId))
        {
            return HttpErrors.For(Refusal.Invalid("INVALID_UUID", "run_id must be a UUID.", "run_id"));
        }

        if (await runs.FindWorkAsync(runId, cancellationToken) is not { } run)
        {
            return HttpErrors.For(new Refusal(RefusalKind.NotFound, "RUN_NOT_FOUND", $"No run with run_id {runId}.", "run_id"));
        }

        if (await runs.ReportAsync(runId, cancellationToken) is { } report)
        {
            return new JsonResponse(StatusOf(report.Status), report);
        }

        return run.Status == "running"
            ? new JsonResponse(StatusCodes.Status200OK, await ProgressBodyAsync(runId, cancellationToken))
            : new JsonResponse(StatusCodes.Status500InternalServerError, new { runId, status = run.Status });
    }

    private async Task<JsonResponse> RunningAsync(Guid runId, CancellationToken cancellationToken) =>
        new JsonResponse(StatusCodes.Status202Accepted, await ProgressBodyAsync(runId, cancellationToken)).WithHeader("Retry-After", s_retryAfter);

    private async Task<RunProgressBody> ProgressBodyAsync(Guid runId, CancellationToken cancellationToken) =>
        new(runId, "running", StatusUrlOf(runId), await workItems.ProgressAsync(runId, cancellationToken));

    private static string StatusUrlOf(Guid runId) => $"/api/{WeeklyApi.RunWeeklyRoute}/{runId}";

    /// <summary>A run still being worked: where to ask again, and how far it is.</summary>
    private sealed record RunProgressBody(Guid RunId, string Status, string StatusUrl, WorkProgress Progress);

    /// <summary>200 completed or planned, 207 partial, 409 locked (every org held by other runs), 500 failed.</summary>
    public static int StatusOf(RunStatus status) => status switch
    {
        RunStatus.Completed or RunStatus.Planned => StatusCodes.Status200OK,
        RunStatus.Partial => StatusCodes.Status207MultiStatus,
        RunStatus.Locked => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status500InternalServerError,
    };
}
