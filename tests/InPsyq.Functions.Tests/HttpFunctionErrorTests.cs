using System.Text.Json;
using InPsyq.Functions.Functions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace InPsyq.Functions.Tests;

/// <summary>
/// The Functions app answers through the library's route table too: a bad query parameter is the contract's 400 and
/// an unexpected exception the contract's JSON 500, not the worker's bare one.
/// </summary>
public sealed class HttpFunctionErrorTests
{
    [Fact]
    public async Task An_unexpected_exception_in_a_function_is_a_JSON_500_INTERNAL_ERROR_with_no_store()
    {
        // The server's maintenance database has no weekly_runs: the diag query fails inside Postgres.
        var elsewhere = new NpgsqlConnectionStringBuilder(FunctionsAppHost.Settings()["POSTGRES_CONNECTION_STRING"]) { Database = "postgres" };
        using var host = FunctionsAppHost.Build(new Dictionary<string, string?> { ["POSTGRES_CONNECTION_STRING"] = elsewhere.ConnectionString });

        var (status, headers, body) = await ListRunsAsync(host, "");

        Assert.Equal((500, "no-store"), (status, headers.CacheControl.ToString()));
        Assert.Equal("INTERNAL_ERROR", body.GetProperty("error").GetString());
        Assert.DoesNotContain("weekly_runs", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_NUL_in_a_diag_filter_is_400_INVALID_QUERY_before_any_query_runs()
    {
        using var host = FunctionsAppHost.Build();

        var (status, _, body) = await ListRunsAsync(host, "?status=%00");

        Assert.Equal((400, "INVALID_QUERY", "status"), (status, body.GetProperty("error").GetString(), body.GetProperty("field").GetString()));
    }

    private static async Task<(int Status, IHeaderDictionary Headers, JsonElement Body)> ListRunsAsync(IHost host, string query)
    {
        using var scope = host.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = HttpMethods.Get;
        context.Request.QueryString = new QueryString(query);
        context.Request.Headers["X-ADMIN-SECRET"] = FunctionsAppHost.Settings()["INTERNAL_ADMIN_SECRET"];
        using var responseBody = new MemoryStream();
        context.Response.Body = responseBody;

        var function = ActivatorUtilities.CreateInstance<WeeklyRunsDiag>(scope.ServiceProvider);
        var result = await function.List(context.Request, CancellationToken.None);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        return (context.Response.StatusCode, context.Response.Headers, JsonDocument.Parse(responseBody.ToArray()).RootElement.Clone());
    }
}
