using System.Globalization;
using System.Text.Json;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace InPsyq.Weekly.Http;

/// <summary>A JSON response with the product's conventions (snake_case, no caching of internal answers).</summary>
public sealed class JsonResponse(int statusCode, object body) : IResult
{
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase) { ["Cache-Control"] = "no-store" };

    public int StatusCode { get; } = statusCode;

    public object Body { get; } = body;

    public IReadOnlyDictionary<string, string> Headers => _headers;

    public static JsonResponse Error(ApiError error)
    {
        var response = new JsonResponse(error.Status, error);
        if (error.RetryAfterSeconds is { } seconds)
        {
            response._headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return response;
    }

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

/// <summary>Lets the Azure Functions adapter return the shared handlers' results as MVC action results.</summary>
public static class ActionResults
{
    public static async Task<IActionResult> AsActionResultAsync(this Task<IResult> result) => new ResultAction(await result);

    private sealed class ResultAction(IResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }
}
