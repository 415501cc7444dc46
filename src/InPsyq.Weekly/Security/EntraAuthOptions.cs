using InPsyq.Weekly.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Security;

/// <summary>
/// Microsoft Entra ID access tokens as an alternative to the shared secrets: on when both <c>AUTH_ENTRA_TENANT_ID</c>
/// and <c>AUTH_ENTRA_AUDIENCE</c> are set. The token's signing keys come from
/// <c>{AUTH_ENTRA_AUTHORITY}/{tenant}/v2.0/.well-known/openid-configuration</c>.
/// </summary>
public sealed class EntraAuthOptions
{
    public static readonly Uri DefaultAuthority = new("https://login.microsoftonline.com");

    /// <summary>The directory (tenant) id: a token's <c>tid</c> must equal it.</summary>
    [ConfigurationKeyName("AUTH_ENTRA_TENANT_ID")]
    public string? TenantId { get; set; }

    /// <summary>
    /// The app registration's application (client) id or its App ID URI, comma-separated when both are given; a client
    /// id also accepts its default App ID URI <c>api://{client id}</c>.
    /// </summary>
    [ConfigurationKeyName("AUTH_ENTRA_AUDIENCE")]
    public string? Audience { get; set; }

    [ConfigurationKeyName("AUTH_ENTRA_AUTHORITY")]
    public Uri Authority { get; set; } = DefaultAuthority;

    public bool Enabled => !string.IsNullOrWhiteSpace(TenantId) && !string.IsNullOrWhiteSpace(Audience);

    /// <summary>The audiences a token may carry.</summary>
    public IReadOnlyList<string> Audiences =>
    [
        .. (Audience ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(audience => Guid.TryParse(audience, out _) ? [audience, $"api://{audience}"] : new[] { audience })
            .Distinct(StringComparer.Ordinal),
    ];

    /// <summary>The v2 issuer, <c>{authority}/{tenant}/v2.0</c>, which is also where the OpenID metadata lives.</summary>
    public string V2Issuer => $"{Authority.AbsoluteUri.TrimEnd('/')}/{TenantId}/v2.0";

    /// <summary>The v1 issuer, always the public cloud's token service.</summary>
    public string V1Issuer => $"https://sts.windows.net/{TenantId}/";

    public string MetadataAddress => $"{V2Issuer}/.well-known/openid-configuration";
}

/// <summary>Start-up validation of the <c>AUTH_ENTRA_*</c> settings.</summary>
internal sealed class EntraAuthOptionsValidator : IValidateOptions<EntraAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, EntraAuthOptions options)
    {
        var failures = new List<string>();
        var tenantSet = !string.IsNullOrWhiteSpace(options.TenantId);
        if (tenantSet != !string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add("AUTH_ENTRA_TENANT_ID and AUTH_ENTRA_AUDIENCE go together: set both to accept Entra ID tokens, or neither.");
        }

        if (tenantSet && !Guid.TryParse(options.TenantId, out _))
        {
            failures.Add("AUTH_ENTRA_TENANT_ID must be the directory (tenant) id, a GUID.");
        }

        var authority = options.Authority;
        if (!authority.IsAbsoluteUri || !(authority.Scheme == Uri.UriSchemeHttps || (authority.Scheme == Uri.UriSchemeHttp && authority.IsLoopback)))
        {
            failures.Add("AUTH_ENTRA_AUTHORITY must be an absolute https URL (plain http is accepted for a loopback host only).");
        }

        return Settings.Result(failures);
    }
}
