using System.Globalization;
using InPsyq.Weekly.Primitives;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary>What the diagnostics endpoints share: the <c>limit</c> rule and HTML negotiation.</summary>
internal static class DiagQuery
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>Reads <c>limit</c> (default 50, 1 to 200); null when valid, else the 400 <c>INVALID_LIMIT</c> to return.</summary>
    public static Refusal? TryReadLimit(IQueryCollection query, out int limit)
    {
        limit = DefaultLimit;
        return query.TryGetValue("limit", out var text)
               && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit)
            ? Refusal.Invalid("INVALID_LIMIT", $"limit must be an integer from 1 to {MaxLimit}.", "limit")
            : null;
    }

    /// <summary><c>?format=html</c>, or a browser's <c>Accept: text/html</c>.</summary>
    public static bool WantsHtml(HttpRequest request) =>
        string.Equals(request.Query["format"], "html", StringComparison.OrdinalIgnoreCase)
        || request.Headers.Accept.Any(accept => accept?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);
}
