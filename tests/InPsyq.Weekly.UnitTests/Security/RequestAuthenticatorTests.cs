using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.UnitTests.Security;

/// <summary>
/// The shared-secret half of <see cref="RequestAuthenticator"/> over options as bound, validation bypassed: what it
/// accepts when a value slipped past start-up (a host whose validation failed must still never let such a value in).
/// </summary>
public sealed class RequestAuthenticatorTests
{
    private const string CronSecret = "cron-secret-0123456789abcdef0123456789";
    private const string PreviousCronSecret = "old-cron-secret-0123456789abcdef012345";
    private const string AdminSecret = "admin-secret-0123456789abcdef012345678";
    private const string PreviousAdminSecret = "old-admin-secret-0123456789abcdef01234";

    public static TheoryData<string> UnresolvedReferences => new()
    {
        "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/internal-cron-secret/)",
        "@microsoft.appconfiguration(Endpoint=https://cfg.azconfig.io; Key=cron)",
    };

    [Theory]
    [MemberData(nameof(UnresolvedReferences))]
    public async Task An_unresolved_reference_never_authenticates_not_even_when_sent_verbatim(string reference)
    {
        var authenticator = Authenticator(new SecretsOptions { CronSecret = reference, PreviousCronSecret = reference, AdminSecret = AdminSecret });

        Assert.Equal(AuthenticationOutcome.Unauthenticated, await AuthenticateAsync(authenticator, SecretKind.Cron, ("X-CRON-SECRET", reference)));
        Assert.Equal(AuthenticationOutcome.Unauthenticated, await AuthenticateAsync(authenticator, SecretKind.Cron, ("Authorization", "Bearer " + reference)));
    }

    [Theory]
    [InlineData(CronSecret)]
    [InlineData(PreviousCronSecret)]
    public async Task During_a_rotation_the_current_and_the_previous_secret_are_both_accepted(string presented)
    {
        var authenticator = Authenticator(Rotating());

        Assert.Equal(AuthenticationOutcome.Authenticated, await AuthenticateAsync(authenticator, SecretKind.Cron, ("X-CRON-SECRET", presented)));
        Assert.Equal(AuthenticationOutcome.Authenticated, await AuthenticateAsync(authenticator, SecretKind.Cron, ("Authorization", "Bearer " + presented)));
    }

    [Theory]
    [InlineData(PreviousAdminSecret, SecretKind.Cron, "X-CRON-SECRET")]
    [InlineData(PreviousCronSecret, SecretKind.Admin, "X-ADMIN-SECRET")]
    [InlineData(PreviousCronSecret + "x", SecretKind.Cron, "X-CRON-SECRET")]
    public async Task A_previous_secret_opens_only_its_own_endpoints_and_only_exactly(string presented, SecretKind kind, string header)
    {
        Assert.Equal(AuthenticationOutcome.Unauthenticated, await AuthenticateAsync(Authenticator(Rotating()), kind, (header, presented)));
    }

    [Fact]
    public async Task With_both_headers_the_previous_secret_in_one_does_not_excuse_a_wrong_other()
    {
        var outcome = await AuthenticateAsync(
            Authenticator(Rotating()), SecretKind.Cron, ("X-CRON-SECRET", PreviousCronSecret), ("Authorization", "Bearer not-a-secret-not-a-secret-not-a-secret"));

        Assert.Equal(AuthenticationOutcome.Unauthenticated, outcome);
    }

    private static SecretsOptions Rotating() => new()
    {
        CronSecret = CronSecret,
        PreviousCronSecret = PreviousCronSecret,
        AdminSecret = AdminSecret,
        PreviousAdminSecret = PreviousAdminSecret,
    };

    private static RequestAuthenticator Authenticator(SecretsOptions secrets) => new(
        Options.Create(secrets),
        new EntraTokenValidator(Options.Create(new EntraAuthOptions()), TimeProvider.System, NullLogger<EntraTokenValidator>.Instance));

    private static async Task<AuthenticationOutcome> AuthenticateAsync(RequestAuthenticator authenticator, SecretKind kind, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        return (await authenticator.AuthenticateAsync(context.Request, kind, CancellationToken.None)).Outcome;
    }
}
