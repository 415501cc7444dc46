using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary>
/// A self-contained HTML page: never cached, and a content security policy that allows inline styles and nothing
/// else, so the page cannot load a script, font or image from anywhere.
/// </summary>
public sealed class HtmlResponse(string html) : IResult
{
    public string Html { get; } = html;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
        response.ContentType = "text/html; charset=utf-8";
        await response.WriteAsync(Html, httpContext.RequestAborted);
    }
}
