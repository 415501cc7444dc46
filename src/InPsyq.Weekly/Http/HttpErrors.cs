using System.Globalization;
using System.Text.Json.Serialization;
using InPsyq.Weekly.Primitives;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary>
/// Every error answer of the API, in one shape: <c>{"error": code, "message": sentence, "field": name or null}</c>.
/// A domain <see cref="Refusal"/> gets the status of its kind; the rest are refusals only HTTP knows.
/// </summary>
public static class HttpErrors
{
    public static JsonResponse For(Refusal refusal)
    {
        var response = new JsonResponse(StatusOf(refusal.Kind), refusal);
        return refusal.RetryAfter is { } wait
            ? response.WithHeader("Retry-After", Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture))
            : response;
    }

    public static int StatusOf(RefusalKind kind) => kind switch
    {
        RefusalKind.Invalid => StatusCodes.Status400BadRequest,
        RefusalKind.NotFound => StatusCodes.Status404NotFound,
        RefusalKind.Conflict => StatusCodes.Status409Conflict,
        RefusalKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>405 with an <c>Allow</c> header.</summary>
    public static JsonResponse MethodNotAllowed(string allowed) =>
        Error(StatusCodes.Status405MethodNotAllowed, "METHOD_NOT_ALLOWED", $"This endpoint only accepts {allowed}.").WithHeader("Allow", allowed);

    /// <summary>Deliberately says nothing about which header or secret was wrong.</summary>
    public static JsonResponse Unauthorized() => Error(StatusCodes.Status401Unauthorized, "UNAUTHORIZED", "Authentication required.");

    /// <summary>A genuine Entra ID token without the app role the endpoint requires (which is no secret).</summary>
    public static JsonResponse Forbidden(string role) =>
        Error(StatusCodes.Status403Forbidden, "FORBIDDEN", $"The token lacks the app role {role}, which this endpoint requires.");

    public static JsonResponse BodyTooLarge(int maxBytes) =>
        Error(StatusCodes.Status413PayloadTooLarge, "BODY_TOO_LARGE", $"The body is larger than {maxBytes / 1024} KiB.");

    public static JsonResponse UnsupportedMediaType() =>
        Error(StatusCodes.Status415UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Send the request as a JSON object, not multipart form data.");

    /// <summary>A query parameter no endpoint can use (a control character such as NUL in its name or value).</summary>
    public static JsonResponse InvalidQuery(string? parameter) =>
        Error(StatusCodes.Status400BadRequest, "INVALID_QUERY", "Query parameters must not contain control characters.", parameter);

    /// <summary>
    /// Anything unexpected: the request's trace id lets an operator find the logged exception, whose message (hosts,
    /// addresses, SQL) never leaves the log.
    /// </summary>
    public static JsonResponse Internal(string traceId) =>
        Error(StatusCodes.Status500InternalServerError, "INTERNAL_ERROR", $"The request failed unexpectedly; the log has the details under trace id {traceId}.");

    private static JsonResponse Error(int status, string code, string message, string? field = null) => new(status, new ErrorBody(code, message, field));

    private sealed record ErrorBody(
        [property: JsonPropertyName("error")] string Code,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("field")] string? Field);
}
