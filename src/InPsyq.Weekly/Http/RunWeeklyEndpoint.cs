using InPsyq.Weekly.Runs;
using InPsyq.Weekly.Security;
using InPsyq.Weekly.Weeks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace InPsyq.Weekly.Http;

/// <summary>
/// <c>POST /api/internal/run-weekly</c>, shared by the Functions app and the standalone host. Checks run in the
/// contract's order: method, secret, size, media type, body, fields; then the runner admits and runs the request.
/// The body is read as JSON whatever its content type, so the runbook's plain <c>curl -d</c> works.
/// </summary>
public sealed class RunWeeklyEndpoint(
    SecretAuthenticator authenticator,
    WeeklyRunner runner,
    TimeProvider time,
    IHostApplicationLifetime lifetime)
{
    public const string Route = "internal/run-weekly";
    public const int MaxBodyBytes = 16 * 1024;

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!HttpMethods.IsPost(request.Method))
        {
            return Errors.MethodNotAllowed(HttpMethods.Post);
        }

        if (!authenticator.IsAuthorized(request, SecretKind.Cron))
        {
            return JsonResponse.Error(Errors.Unauthorized);
        }

        var body = await RequestBody.ReadAsync(request, MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return JsonResponse.Error(new ApiError(413, "BODY_TOO_LARGE", $"The body is larger than {MaxBodyBytes / 1024} KiB."));
        }

        if (request.ContentType is { } contentType && contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            return JsonResponse.Error(new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the request as a JSON object, not multipart form data."));
        }

        var draft = RunRequestBodyReader.Read(body, out var error);
        var runRequest = error is null ? RunRequestValidator.Validate(draft, IsoWeek.Containing(time.GetUtcNow()), out error) : null;
        if (error is not null)
        {
            return JsonResponse.Error(error);
        }

        // A run outlives a client that hangs up: it is bounded by its own deadline and stopped only by host shutdown.
        var result = await runner.RunAsync(runRequest!, RunTrigger.Http, lifetime.ApplicationStopping);
        return result.Refusal is { } refusal ? JsonResponse.Error(refusal) : new JsonResponse(result.HttpStatus, result.Report!);
    }
}
