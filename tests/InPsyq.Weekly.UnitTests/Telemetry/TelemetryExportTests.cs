using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using InPsyq.Weekly.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NSubstitute;

namespace InPsyq.Weekly.UnitTests.Telemetry;

/// <summary>
/// Where telemetry goes: Azure Monitor with <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> (Entra with the app's
/// credential when local auth is off), OTLP with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, nowhere otherwise.
/// </summary>
public sealed class TelemetryExportTests
{
    private const string ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/";

    [Fact]
    public void Without_settings_telemetry_goes_nowhere()
    {
        Assert.Equal(new TelemetryExport(null, false, false), Export([]));
        Assert.Equal(new TelemetryExport(null, false, false), Export(new()
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "",
            ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "Authorization=AAD",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = " ",
        }));
    }

    [Fact]
    public void A_connection_string_exports_to_azure_monitor_with_entra_when_the_authentication_string_asks_for_it()
    {
        Assert.Equal(new TelemetryExport(ConnectionString, false, false), Export(new() { ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ConnectionString }));
        Assert.Equal(new TelemetryExport(ConnectionString, true, false), Export(new()
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ConnectionString,
            ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "ClientId=11111111-1111-1111-1111-111111111111; authorization=AAD",
        }));
    }

    [Fact]
    public void An_otlp_endpoint_exports_over_otlp_besides_azure_monitor()
    {
        Assert.Equal(new TelemetryExport(ConnectionString, false, true), Export(new()
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ConnectionString,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318",
        }));
    }

    [Fact]
    public void Azure_monitor_gets_the_connection_string_and_with_entra_the_apps_credential()
    {
        var credential = Substitute.For<TokenCredential>();

        var withEntra = AzureMonitorOptions(credential, new()
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ConnectionString,
            ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "Authorization=AAD",
        });
        var withKey = AzureMonitorOptions(credential, new() { ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ConnectionString });

        Assert.Equal((ConnectionString, credential, 1.0F, null), (withEntra.ConnectionString, withEntra.Credential, withEntra.SamplingRatio, withEntra.TracesPerSecond));
        Assert.Equal(ConnectionString, withKey.ConnectionString);
        Assert.Null(withKey.Credential);
    }

    [Fact]
    public void Registering_telemetry_switches_the_azure_sdk_activities_on()
    {
        new ServiceCollection().AddWeeklyTelemetry(new ConfigurationBuilder().Build());

        Assert.True(AppContext.TryGetSwitch("Azure.Experimental.EnableActivitySource", out var enabled) && enabled);
    }

    private static TelemetryExport Export(Dictionary<string, string?> settings) =>
        TelemetryExport.From(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    private static AzureMonitorExporterOptions AzureMonitorOptions(TokenCredential credential, Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddSingleton(credential);
        services.AddWeeklyTelemetry(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);
    }
}
