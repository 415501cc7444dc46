using InPsyq.Weekly.Primitives;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace InPsyq.Weekly.Security;

/// <summary>What a bearer token proved: nothing, a caller without the required app role, or a caller with it.</summary>
public enum TokenVerdict
{
    Invalid,
    LacksRole,
    Valid,

    /// <summary>The tenant's OpenID metadata (its signing keys) could not be fetched, so no token can be checked.</summary>
    Unavailable,
}

/// <summary>The verdict on a token and, when it is genuine, who presented it.</summary>
public sealed record TokenCheck(TokenVerdict Verdict, CallerIdentity? Caller)
{
    public static TokenCheck Invalid { get; } = new(TokenVerdict.Invalid, null);

    public static TokenCheck Unavailable { get; } = new(TokenVerdict.Unavailable, null);
}

/// <summary>
/// Validates Microsoft Entra ID access tokens for the internal endpoints, the same way in both hosts (the Functions
/// worker has no ASP.NET Core authentication pipeline): an RS256 signature by a key of the tenant's OpenID metadata
/// (fetched, cached and refreshed by <see cref="ConfigurationManager{T}"/>; an unknown key id triggers a refresh), the
/// v1 or v2 issuer of the tenant, one of the configured audiences, a lifetime that holds on <see cref="TimeProvider"/>
/// with a small skew, and a <c>tid</c> equal to the tenant. The app role is checked last: a genuine token without it
/// is <see cref="TokenVerdict.LacksRole"/>. Nothing of the token is logged, only why it was refused.
/// </summary>
public sealed partial class EntraTokenValidator : IDisposable
{
    /// <summary>How far the clocks of Entra and of this host may disagree.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    private static readonly JsonWebTokenHandler s_handler = new();

    private readonly EntraAuthOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EntraTokenValidator> _logger;
    private readonly HttpClient? _metadataClient;
    private readonly ConfigurationManager<OpenIdConnectConfiguration>? _metadata;
    private readonly TokenValidationParameters? _parameters;

    public EntraTokenValidator(IOptions<EntraAuthOptions> options, TimeProvider time, ILogger<EntraTokenValidator> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        if (!_options.Enabled)
        {
            return;
        }

        _metadataClient = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
        _metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
            _options.MetadataAddress,
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(_metadataClient) { RequireHttps = _options.Authority.Scheme == Uri.UriSchemeHttps });
        _parameters = new TokenValidationParameters
        {
            ConfigurationManager = _metadata,
            ValidIssuers = [_options.V1Issuer, _options.V2Issuer],
            ValidAudiences = _options.Audiences,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            LifetimeValidator = HoldsNow,
            ClockSkew = ClockSkew,
        };
    }

    public bool Enabled => _parameters is not null;

    /// <summary>Whether <paramref name="bearer"/> is shaped like a JWT, so it is a token rather than a shared secret.</summary>
    public static bool LooksLikeToken(string bearer) => s_handler.CanReadToken(bearer);

    /// <summary>Validates <paramref name="token"/> and checks that its <c>roles</c> include <paramref name="requiredRole"/>.</summary>
    public async Task<TokenCheck> CheckAsync(string token, string requiredRole, CancellationToken cancellationToken)
    {
        if (_parameters is null || _metadata is null)
        {
            return TokenCheck.Invalid;
        }

        try
        {
            // Cached after the first fetch (and refreshed in the background); this throws only when no metadata was ever read.
            await _metadata.GetConfigurationAsync(cancellationToken);
        }
        catch (InvalidOperationException e) when (!cancellationToken.IsCancellationRequested)
        {
            LogMetadataUnavailable(_options.MetadataAddress, e.GetType().Name);
            return TokenCheck.Unavailable;
        }

        var result = await s_handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid)
        {
            LogRejected(result.Exception?.GetType().Name ?? "unknown");
            return TokenCheck.Invalid;
        }

        var identity = result.ClaimsIdentity;
        if (!string.Equals(identity.FindFirst("tid")?.Value, _options.TenantId, StringComparison.OrdinalIgnoreCase))
        {
            LogRejected("tenant");
            return TokenCheck.Invalid;
        }

        var caller = new CallerIdentity(identity.FindFirst("oid")?.Value, (identity.FindFirst("azp") ?? identity.FindFirst("appid"))?.Value);
        if (!identity.HasClaim("roles", requiredRole))
        {
            LogLacksRole(requiredRole);
            return new TokenCheck(TokenVerdict.LacksRole, caller);
        }

        return new TokenCheck(TokenVerdict.Valid, caller);
    }

    public void Dispose() => _metadataClient?.Dispose();

    private bool HoldsNow(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } end && now < end.ToUniversalTime() + ClockSkew
            && (notBefore is not { } start || now >= start.ToUniversalTime() - ClockSkew);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The OpenID metadata at {MetadataAddress} could not be fetched ({Exception}); bearer tokens cannot be checked")]
    private partial void LogMetadataUnavailable(string metadataAddress, string exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bearer token refused ({Reason})")]
    private partial void LogRejected(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bearer token valid but without the app role {Role}")]
    private partial void LogLacksRole(string role);
}
