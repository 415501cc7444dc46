using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Weeks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace InPsyq.Weekly.Http;

/// <summary>
/// <c>POST /api/internal/run-weekly</c> (cron secret). After the method and the secret (<see cref="WeeklyApi"/>), the
/// checks run in the contract's order: size, media type, body, fields; then the runner admits and runs the request.
/// The body is read as JSON whatever its content type, so the runbook's plain <c>curl -d</c> works.
/// </summary>
public sealed class RunWeeklyEndpoint(WeeklyRunner runner, TimeProvider time, IHostApplicationLifetime lifetime)
{
    public const int MaxBodyBytes = 16 * 1024;

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
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
        var result = await runner.RunAsync(runRequest!, RunTrigger.Http, lifetime.ApplicationStopping);
        return result.Refusal is { } refusal ? HttpErrors.For(refusal) : new JsonResponse(StatusOf(result.Report!.Status), result.Report);
    }

    /// <summary>200 completed or planned, 207 partial, 409 locked (every org held by other runs), 500 failed.</summary>
    public static int StatusOf(RunStatus status) => status switch
    {
        RunStatus.Completed or RunStatus.Planned => StatusCodes.Status200OK,
        RunStatus.Partial => StatusCodes.Status207MultiStatus,
        RunStatus.Locked => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status500InternalServerError,
    };
}
