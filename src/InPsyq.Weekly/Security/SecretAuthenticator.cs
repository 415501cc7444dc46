using System.Security.Cryptography;
using System.Text;
using InPsyq.Weekly.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Security;

/// <summary>Which shared secret an endpoint requires.</summary>
public enum SecretKind
{
    /// <summary><c>INTERNAL_CRON_SECRET</c>, sent as <c>X-CRON-SECRET</c> or a bearer token: the run endpoint.</summary>
    Cron,

    /// <summary><c>INTERNAL_ADMIN_SECRET</c>, sent as <c>X-ADMIN-SECRET</c> or a bearer token: health, diagnostics, jobs.</summary>
    Admin,
}

/// <summary>
/// Checks the shared secrets of the internal endpoints in constant time. When both the named header and a bearer
/// token are sent, both must match. Nothing about the presented values is ever logged or echoed.
/// </summary>
public sealed class SecretAuthenticator(IOptions<SecretsOptions> options)
{
    public bool IsAuthorized(HttpRequest request, SecretKind kind)
    {
        var (header, expected) = kind switch
        {
            SecretKind.Cron => ("X-CRON-SECRET", options.Value.CronSecret),
            _ => ("X-ADMIN-SECRET", options.Value.AdminSecret),
        };

        if (string.IsNullOrEmpty(expected))
        {
            return false;
        }

        var named = request.Headers[header];
        var bearer = BearerToken(request);
        if (named.Count == 0 && bearer is null)
        {
            return false;
        }

        var namedOk = named.Count == 0 || (named.Count == 1 && FixedTimeEquals(named[0], expected));
        var bearerOk = bearer is null || FixedTimeEquals(bearer, expected);
        return namedOk & bearerOk;
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

    /// <summary>Compares SHA-256 digests so neither the content nor the length of the secret leaks through timing.</summary>
    private static bool FixedTimeEquals(string? presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented ?? string.Empty)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
