using InPsyq.Weekly.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InPsyq.Functions.Tests;

/// <summary>
/// The worker's ASP.NET Core integration runs the same hosting as the standalone host, whose diagnostics log every
/// request's full URL, query string included: the Functions app silences them below Warning too, whatever the
/// configured levels (a provider-specific one included).
/// </summary>
public sealed class RequestLogTests
{
    [Fact]
    public void The_hosting_request_lines_with_their_query_strings_are_never_written()
    {
        using var host = FunctionsAppHost.Build(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:Console:LogLevel:Default"] = "Trace",
            ["Logging:Console:LogLevel:Microsoft.AspNetCore"] = "Trace",
        }, services => services.AddLogging(logging => logging.AddConsole()));
        var factory = host.Services.GetRequiredService<ILoggerFactory>();

        var hosting = factory.CreateLogger(RequestLogging.HostingDiagnosticsCategory);
        var routing = factory.CreateLogger("Microsoft.AspNetCore.Routing");

        Assert.False(hosting.IsEnabled(LogLevel.Information));
        Assert.True(hosting.IsEnabled(LogLevel.Warning));
        Assert.True(routing.IsEnabled(LogLevel.Trace));
    }
}
