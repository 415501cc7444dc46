using System.Text.Json;
using InPsyq.Weekly.Primitives;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary>A JSON response with the product's conventions (snake_case, no caching of internal answers).</summary>
public sealed class JsonResponse(int statusCode, object body) : IResult
{
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase) { ["Cache-Control"] = "no-store" };

    public int StatusCode { get; } = statusCode;

    public object Body { get; } = body;

    public IReadOnlyDictionary<string, string> Headers => _headers;

    public JsonResponse WithHeader(string name, string value)
    {
        _headers[name] = value;
        return this;
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        foreach (var (name, value) in _headers)
        {
            response.Headers[name] = value;
        }

        response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(response.Body, Body, Body.GetType(), WeeklyJson.Options, httpContext.RequestAborted);
    }
}
