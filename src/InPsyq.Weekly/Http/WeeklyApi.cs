using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Security;
using InPsyq.Weekly.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InPsyq.Weekly.Http;

/// <summary>
/// The HTTP surface, described once: <see cref="Routes"/> is the table both hosts serve (the standalone host through
/// <see cref="WeeklyApiRouteBuilderExtensions.MapInPsyqWeeklyApi"/>, the Functions app through one function per row),
/// and <c>HandleAsync</c> the one way a request reaches an endpoint: its method (405), its credentials (401, or 403
/// for an Entra token without the endpoint's app role) and
/// its query (400 <c>INVALID_QUERY</c>) are checked here, and an exception becomes a JSON 503 or 500, never a bare one.
/// </summary>
public sealed partial class WeeklyApi
{
    public const string RunWeeklyRoute = "internal/run-weekly";
    public const string RunWeeklyStatusRoute = RunWeeklyRoute + "/{runId}";
    public const string LiveRoute = "health/live";
    public const string WeeklyHealthRoute = "internal/health/weekly";
    public const string WeeklyRunsDiagRoute = "internal/diag/weekly-runs";
    public const string WeeklyRunsDiagDetailRoute = WeeklyRunsDiagRoute + "/{runId}";
    public const string JobsDiagRoute = "internal/diag/jobs";
    public const string RunJobRoute = "internal/jobs/{id}/run";
    public const string CancelJobRoute = "internal/jobs/{id}/cancel";

    private static readonly TimeSpan s_dependencyRetryAfter = TimeSpan.FromSeconds(30);
    private static readonly Dictionary<string, string> s_noRouteValues = [];

    private readonly Dictionary<string, (ApiRoute Route, object? Endpoint)> _routes;
    private readonly RequestAuthenticator _authenticator;
    private readonly ILogger<WeeklyApi> _logger;

    /// <summary>Resolves every row's endpoint now, so a host that lacks one fails when it is composed, not on a request.</summary>
    public WeeklyApi(IServiceProvider services, RequestAuthenticator authenticator, ILogger<WeeklyApi> logger)
    {
        _routes = Routes.ToDictionary(
            route => route.Name, route => (route, route.Endpoint is null ? null : services.GetRequiredService(route.Endpoint)), StringComparer.Ordinal);
        _authenticator = authenticator;
        _logger = logger;
    }

    /// <summary>The methods every route is bound to in both hosts, so that each answers any other than its own with 405.</summary>
    public static IReadOnlyList<string> BoundMethods { get; } =
        [HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete];

    public static IReadOnlyList<ApiRoute> Routes { get; } =
    [
        ApiRoute.To<RunWeeklyEndpoint>("RunWeekly", RunWeeklyRoute, HttpMethods.Post, SecretKind.Cron,
            (endpoint, call) => endpoint.HandleAsync(call.Request, call.Caller, call.CancellationToken)),
        ApiRoute.To<RunWeeklyEndpoint>("RunWeeklyStatus", RunWeeklyStatusRoute, HttpMethods.Get, SecretKind.Cron,
            (endpoint, call) => endpoint.StatusAsync(call.RouteValue("runId"), call.CancellationToken)),
        ApiRoute.To("Live", LiveRoute, HttpMethods.Get, secret: null, _ => LiveEndpoint.Handle()),
        ApiRoute.To<WeeklyHealthEndpoint>("WeeklyHealth", WeeklyHealthRoute, HttpMethods.Get, SecretKind.Admin,
            (endpoint, call) => endpoint.HandleAsync(call.CancellationToken)),
        ApiRoute.To<WeeklyRunsDiagEndpoint>("WeeklyRunsDiag", WeeklyRunsDiagRoute, HttpMethods.Get, SecretKind.Admin,
            (endpoint, call) => endpoint.ListAsync(call.Request, call.CancellationToken)),
        ApiRoute.To<WeeklyRunsDiagEndpoint>("WeeklyRunsDiagDetail", WeeklyRunsDiagDetailRoute, HttpMethods.Get, SecretKind.Admin,
            (endpoint, call) => endpoint.GetAsync(call.RouteValue("runId"), call.CancellationToken)),
        ApiRoute.To<JobsDiagEndpoint>("JobsDiag", JobsDiagRoute, HttpMethods.Get, SecretKind.Admin,
            (endpoint, call) => endpoint.ListAsync(call.Request, call.CancellationToken)),
        ApiRoute.To<JobEndpoints>("RunJob", RunJobRoute, HttpMethods.Post, SecretKind.Admin,
            (endpoint, call) => endpoint.RunAsync(call.RouteValue("id"), call.Caller, call.CancellationToken)),
        ApiRoute.To<JobEndpoints>("CancelJob", CancelJobRoute, HttpMethods.Post, SecretKind.Admin,
            (endpoint, call) => endpoint.CancelAsync(call.RouteValue("id"), call.CancellationToken)),
    ];

    /// <summary>Answers a request for the route named <paramref name="routeName"/>, a route without parameters.</summary>
    public Task<IResult> HandleAsync(string routeName, HttpRequest request, CancellationToken cancellationToken) =>
        HandleAsync(routeName, request, s_noRouteValues, cancellationToken);

    /// <summary>Answers a request for the route named <paramref name="routeName"/>, whose route values the host has read.</summary>
    public async Task<IResult> HandleAsync(
        string routeName, HttpRequest request, IReadOnlyDictionary<string, string> routeValues, CancellationToken cancellationToken)
    {
        var (route, endpoint) = _routes[routeName];
        if (!string.Equals(request.Method, route.Method, StringComparison.OrdinalIgnoreCase))
        {
            return HttpErrors.MethodNotAllowed(route.Method);
        }

        CallerIdentity? caller = null;
        if (route.Secret is { } secret)
        {
            var authentication = await _authenticator.AuthenticateAsync(request, secret, cancellationToken);
            switch (authentication.Outcome)
            {
                case AuthenticationOutcome.Unauthenticated:
                    return HttpErrors.Unauthorized();
                case AuthenticationOutcome.Forbidden:
                    return HttpErrors.Forbidden(RequestAuthenticator.RoleOf(secret));
                case AuthenticationOutcome.Unavailable:
                    return HttpErrors.For(new Refusal(RefusalKind.Unavailable, "AUTH_UNAVAILABLE",
                        "Entra ID's OpenID metadata for the tenant could not be fetched, so the token cannot be checked; retry, or use the shared secret."));
            }

            caller = authentication.Caller;
        }

        if (HasControlCharacter(request.Query, out var parameter))
        {
            return HttpErrors.InvalidQuery(parameter);
        }

        try
        {
            return await route.Handle(endpoint, new ApiCall(request, routeValues, caller, cancellationToken));
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var traceId = request.HttpContext.TraceIdentifier;
            LogUnhandled(e, route.Name, traceId);
            return DependencyProbe.FailedDependencyOf(e) is { } dependency
                ? HttpErrors.For(new Refusal(
                    RefusalKind.Unavailable, "DEPENDENCY_UNAVAILABLE", $"{DependencyProbe.NameOf(dependency)} is unavailable; retry later.")
                {
                    RetryAfter = s_dependencyRetryAfter,
                })
                : HttpErrors.Internal(traceId);
        }
    }

    /// <summary>
    /// No endpoint has a use for a control character in a query parameter, and Postgres refuses a NUL in any text
    /// value: the parameter is refused before it can reach a filter.
    /// </summary>
    private static bool HasControlCharacter(IQueryCollection query, out string? parameter)
    {
        foreach (var (name, values) in query)
        {
            if (name.Any(char.IsControl))
            {
                parameter = null;
                return true;
            }

            if (values.Any(value => value?.Any(char.IsControl) == true))
            {
                parameter = name;
                return true;
            }
        }

        parameter = null;
        return false;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Request to {Route} failed unexpectedly (trace id {TraceId})")]
    private partial void LogUnhandled(Exception exception, string route, string traceId);
}

public static class WeeklyApiRouteBuilderExtensions
{
    /// <summary>Maps every row of <see cref="WeeklyApi.Routes"/> under <c>/api</c>, each bound to <see cref="WeeklyApi.BoundMethods"/>.</summary>
    public static RouteGroupBuilder MapInPsyqWeeklyApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");
        foreach (var route in WeeklyApi.Routes)
        {
            api.MapMethods(route.Pattern, WeeklyApi.BoundMethods, (HttpContext context, WeeklyApi weeklyApi) =>
                    weeklyApi.HandleAsync(route.Name, context.Request, RouteValuesOf(context.Request), context.RequestAborted))
                .WithName(route.Name);
        }

        return api;
    }

    private static Dictionary<string, string> RouteValuesOf(HttpRequest request) =>
        request.RouteValues.ToDictionary(value => value.Key, value => Convert.ToString(value.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty, StringComparer.Ordinal);
}
