using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Telemetry;

/// <summary>
/// Where a host's telemetry goes, from its settings: Azure Monitor (<c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>, with
/// Entra when <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> says <c>Authorization=AAD</c>), an OTLP endpoint
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), both, or nowhere. Empty settings count as unset.
/// </summary>
public sealed record TelemetryExport(string? AzureMonitorConnectionString, bool AzureMonitorUsesEntra, bool Otlp)
{
    public const string AzureMonitorConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AzureMonitorAuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The AppContext switch that makes the Azure SDK create activities (else only its DiagnosticSource events).</summary>
    public const string AzureActivitySourceSwitch = "Azure.Experimental.EnableActivitySource";

    /// <summary>Every Azure SDK client's activity source (<c>Azure.Storage.Blobs.BlobClient</c>, <c>Azure.Storage.Queues.QueueClient</c>, …).</summary>
    public const string AzureSdkSources = "Azure.*";

    /// <summary>Npgsql's activity source: one span per command.</summary>
    public const string NpgsqlSource = "Npgsql";

    public static TelemetryExport From(IConfiguration configuration)
    {
        var connectionString = NullIfEmpty(configuration[AzureMonitorConnectionStringSetting]);
        var authentication = configuration[AzureMonitorAuthenticationSetting] ?? "";
        var usesEntra = connectionString is not null && authentication
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(part => part.Equals("Authorization=AAD", StringComparison.OrdinalIgnoreCase));
        return new TelemetryExport(connectionString, usesEntra, NullIfEmpty(configuration[OtlpEndpointSetting]) is not null);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
