using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Security;
using Microsoft.AspNetCore.Http;

namespace InPsyq.Weekly.Http;

/// <summary>
/// One row of the route table (<see cref="WeeklyApi.Routes"/>): the function name both hosts know it by, the route
/// under <c>/api</c>, the one method it accepts, the secret it requires (null: none) and the endpoint service that
/// answers (null: the handler needs no service).
/// </summary>
public sealed record ApiRoute(string Name, string Pattern, string Method, SecretKind? Secret, Type? Endpoint, Func<object?, ApiCall, Task<IResult>> Handle)
{
    public static ApiRoute To<TEndpoint>(string name, string pattern, string method, SecretKind? secret, Func<TEndpoint, ApiCall, Task<IResult>> handle)
        where TEndpoint : class =>
        new(name, pattern, method, secret, typeof(TEndpoint), (endpoint, call) => handle((TEndpoint)endpoint!, call));

    public static ApiRoute To(string name, string pattern, string method, SecretKind? secret, Func<ApiCall, IResult> handle) =>
        new(name, pattern, method, secret, Endpoint: null, (_, call) => Task.FromResult(handle(call)));
}

/// <summary>
/// An admitted request as its endpoint sees it: the request, the route's values, who called (when an Entra token was
/// presented; null for a shared secret or an open route) and the caller's cancellation token.
/// </summary>
public sealed record ApiCall(HttpRequest Request, IReadOnlyDictionary<string, string> RouteValues, CallerIdentity? Caller, CancellationToken CancellationToken)
{
    public string RouteValue(string name) => RouteValues[name];
}
