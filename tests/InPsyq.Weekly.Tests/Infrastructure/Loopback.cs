using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>Test servers listen on a free loopback port only: no test ever reaches beyond this machine.</summary>
public static class Loopback
{
    public const string AnyPort = "http://127.0.0.1:0";

    /// <summary>The address Kestrel bound for a started app that listens on <see cref="AnyPort"/>.</summary>
    public static Uri AddressOf(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
