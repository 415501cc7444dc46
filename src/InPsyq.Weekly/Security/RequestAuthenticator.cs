using System.Security.Cryptography;
using System.Text;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Primitives;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Security;

/// <summary>Which credential an endpoint requires: a shared secret, or an Entra ID token with an app role.</summary>
public enum SecretKind
{
    /// <summary>
    /// <c>INTERNAL_CRON_SECRET</c> (or its <c>_PREVIOUS</c>), sent as <c>X-CRON-SECRET</c> or a bearer token, or an Entra
    /// token with the app role <c>Weekly.Run</c>: the run endpoint and its status URL.
    /// </summary>
    Cron,

    /// <summary>
    /// <c>INTERNAL_ADMIN_SECRET</c> (or its <c>_PREVIOUS</c>), sent as <c>X-ADMIN-SECRET</c> or a bearer token, or an
    /// Entra token with the app role <c>Weekly.Admin</c>: health, diagnostics, jobs.
    /// </summary>
    Admin,
}

/// <summary>How a request's credentials were judged.</summary>
public enum AuthenticationOutcome
{
    /// <summary>No credential, or one that is wrong: 401.</summary>
    Unauthenticated,

    /// <summary>A genuine Entra token without the endpoint's app role (and nothing wrong besides): 403.</summary>
    Forbidden,

    Authenticated,

    /// <summary>An Entra token that cannot be checked now (the tenant's OpenID metadata does not answer): 503.</summary>
    Unavailable,
}

/// <summary>The outcome, and who called when an Entra token was presented.</summary>
public sealed record Authentication(AuthenticationOutcome Outcome, CallerIdentity? Caller = null);

/// <summary>
/// Checks the credentials of the internal endpoints. The shared secrets are compared in constant time against the
/// current and the previous value; a bearer value shaped like a JWT is, with Entra ID configured, validated as a token
/// instead. Every credential presented must hold: when both the named header and a bearer value are sent, both must
/// match. Nothing about the presented values is ever logged or echoed.
/// </summary>
public sealed class RequestAuthenticator(IOptions<SecretsOptions> options, EntraTokenValidator tokens)
{
    public const string RunRole = "Weekly.Run";
    public const string AdminRole = "Weekly.Admin";

    private static readonly Authentication s_unauthenticated = new(AuthenticationOutcome.Unauthenticated);

    /// <summary>The app role an Entra token needs for the endpoints of <paramref name="kind"/>.</summary>
    public static string RoleOf(SecretKind kind) => kind == SecretKind.Cron ? RunRole : AdminRole;

    public async Task<Authentication> AuthenticateAsync(HttpRequest request, SecretKind kind, CancellationToken cancellationToken)
    {
        var (header, accepted) = kind switch
        {
            SecretKind.Cron => ("X-CRON-SECRET", options.Value.AcceptedCronSecrets),
            _ => ("X-ADMIN-SECRET", options.Value.AcceptedAdminSecrets),
        };

        var named = request.Headers[header];
        var bearer = BearerToken(request);
        if (named.Count == 0 && bearer is null)
        {
            return s_unauthenticated;
        }

        var namedOk = named.Count == 0 || (named.Count == 1 && MatchesAny(named[0], accepted));
        if (bearer is null || MatchesAny(bearer, accepted))
        {
            return namedOk ? new Authentication(AuthenticationOutcome.Authenticated) : s_unauthenticated;
        }

        if (!namedOk || !tokens.Enabled || !EntraTokenValidator.LooksLikeToken(bearer))
        {
            return s_unauthenticated;
        }

        var check = await tokens.CheckAsync(bearer, RoleOf(kind), cancellationToken);
        return check.Verdict switch
        {
            TokenVerdict.Valid => new Authentication(AuthenticationOutcome.Authenticated, check.Caller),
            TokenVerdict.LacksRole => new Authentication(AuthenticationOutcome.Forbidden, check.Caller),
            TokenVerdict.Unavailable => new Authentication(AuthenticationOutcome.Unavailable),
            _ => s_unauthenticated,
        };
    }

    private static string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count != 1 || authorization[0] is not { } value)
        {
            return authorization.Count == 0 ? null : string.Empty;
        }

        const string Scheme = "Bearer ";
        return value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? value[Scheme.Length..].Trim() : string.Empty;
    }

    /// <summary>Compares against every accepted secret, each in constant time, without stopping at the first match.</summary>
    private static bool MatchesAny(string? presented, IReadOnlyList<string> accepted)
    {
        var matched = false;
        foreach (var secret in accepted)
        {
            matched |= FixedTimeEquals(presented, secret);
        }

        return matched;
    }

    /// <summary>Compares SHA-256 digests so neither the content nor the length of the secret leaks through timing.</summary>
    private static bool FixedTimeEquals(string? presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented ?? string.Empty)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
