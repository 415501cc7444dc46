using System.Security.Cryptography;
using System.Text;
using InPsyq.Weekly.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace InPsyq.Weekly.Tests.Http;

/// <summary>
/// A stand-in for Microsoft Entra ID on a loopback port: the tenant's OpenID metadata and signing keys (RSA, generated
/// here) at Entra's paths, and tokens shaped like Entra's access tokens, signed by it or forged in the ways an attacker
/// would try.
/// </summary>
public sealed class LocalOpenIdIssuer : IAsyncDisposable
{
    public const string TenantId = "3f8a2b1c-4d5e-4f60-8a9b-0c1d2e3f4a5b";
    public const string ClientId = "9b2c7d1e-0f3a-4b5c-8d6e-7f8091a2b3c4";
    public const string CallerObjectId = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";
    public const string CallerAppId = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

    private static readonly string[] s_algorithms = ["RS256"];

    private readonly WebApplication _app;
    private readonly List<(string KeyId, RSA Key)> _published = [];
    private int _metadataRequests;

    private LocalOpenIdIssuer(WebApplication app)
    {
        _app = app;
        app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (string tenant) =>
        {
            Interlocked.Increment(ref _metadataRequests);
            return Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = $"{Authority}/{tenant}/v2.0",
                ["jwks_uri"] = $"{Authority}/{tenant}/discovery/v2.0/keys",
                ["token_endpoint"] = $"{Authority}/{tenant}/oauth2/v2.0/token",
                ["authorization_endpoint"] = $"{Authority}/{tenant}/oauth2/v2.0/authorize",
                ["id_token_signing_alg_values_supported"] = s_algorithms,
            });
        });
        app.MapGet("/{tenant}/discovery/v2.0/keys", () =>
        {
            lock (_published)
            {
                return Results.Json(new { keys = _published.Select(key => PublicJwk(key.KeyId, key.Key)).ToList() });
            }
        });
    }

    /// <summary>The first published key: what the tokens are signed with unless a test says otherwise.</summary>
    public SigningCredentials Signing { get; private set; } = null!;

    /// <summary>Where <c>AUTH_ENTRA_AUTHORITY</c> points: <c>http://127.0.0.1:port</c>.</summary>
    public string Authority { get; private set; } = string.Empty;

    public string V2Issuer => $"{Authority}/{TenantId}/v2.0";

    public static string V1Issuer => $"https://sts.windows.net/{TenantId}/";

    public int MetadataRequests => Volatile.Read(ref _metadataRequests);

    public static async Task<LocalOpenIdIssuer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Loopback.AnyPort);
        builder.Logging.ClearProviders();
        var issuer = new LocalOpenIdIssuer(builder.Build());
        issuer.Signing = issuer.PublishKey();
        await issuer._app.StartAsync();
        issuer.Authority = Loopback.AddressOf(issuer._app).ToString().TrimEnd('/');
        return issuer;
    }

    /// <summary>Publishes a new signing key (a rotation) and returns the credentials that sign with it.</summary>
    public SigningCredentials PublishKey()
    {
        var key = RSA.Create(2048);
        var keyId = $"key-{Guid.NewGuid():N}"[..16];
        lock (_published)
        {
            _published.Add((keyId, key));
        }

        return new SigningCredentials(new RsaSecurityKey(key) { KeyId = keyId }, SecurityAlgorithms.RsaSha256);
    }

    /// <summary>
    /// An access token as Entra issues it to a client application with app roles: v2 issuer, audience the client id,
    /// valid for an hour, with <c>tid</c>, <c>oid</c>, <c>azp</c> and <paramref name="roles"/>.
    /// </summary>
    public string Token(params string[] roles) => Token(descriptor => descriptor.Claims["roles"] = roles.ToList());

    /// <summary>Such a token (with both app roles) as <paramref name="change"/> edits it.</summary>
    public string Token(Action<SecurityTokenDescriptor> change)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = V2Issuer,
            Audience = ClientId,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(1),
            SigningCredentials = Signing,
            Claims = new Dictionary<string, object>
            {
                ["tid"] = TenantId,
                ["oid"] = CallerObjectId,
                ["azp"] = CallerAppId,
                ["roles"] = new List<string> { "Weekly.Run", "Weekly.Admin" },
                ["ver"] = "2.0",
            },
        };
        change(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>A token with <c>alg: none</c> and no signature, claims as a valid one.</summary>
    public string UnsignedToken()
    {
        var signed = Token("Weekly.Run");
        var payload = signed.Split('.')[1];
        return $"{Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""")}.{payload}.";
    }

    /// <summary>HS256 keyed with the published public key's bytes: the classic algorithm-confusion forgery.</summary>
    public string PublicKeyHmacToken()
    {
        var rsa = (RsaSecurityKey)Signing.Key;
        var publicKey = Encoding.UTF8.GetBytes(rsa.Rsa.ExportSubjectPublicKeyInfoPem());
        var hmac = new SymmetricSecurityKey(publicKey) { KeyId = rsa.KeyId };
        return Token(descriptor =>
        {
            descriptor.SigningCredentials = new SigningCredentials(hmac, SecurityAlgorithms.HmacSha256);
            descriptor.Claims["roles"] = new List<string> { "Weekly.Run" };
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        lock (_published)
        {
            foreach (var (_, key) in _published)
            {
                key.Dispose();
            }
        }
    }

    private static Dictionary<string, string> PublicJwk(string keyId, RSA key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        return new Dictionary<string, string>
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["alg"] = "RS256",
            ["kid"] = keyId,
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
        };
    }
}
