using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using InPsyq.Weekly.Configuration;
using Microsoft.Extensions.Configuration;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>The app settings as the code reads them, as the Bicep sets them, and as the local sample lists them.</summary>
internal static class AppSettings
{
    /// <summary>Settings of the Functions host and of Azure.Identity in Azure: set by the Bicep, not read by options.</summary>
    public static readonly IReadOnlySet<string> AzureHostSettings = new HashSet<string>(StringComparer.Ordinal)
    {
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        // The queue trigger's identity-based connection WEEKLY_QUEUE (the extension reads it, not the options).
        "WEEKLY_QUEUE__queueServiceUri",
        "WEEKLY_QUEUE__credential",
        "WEEKLY_QUEUE__clientId",
        // Telemetry to Azure Monitor (TelemetryExport reads them, outside the options; the Functions host too).
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        // DefaultAzureCredential's user-assigned identity (Blob, Postgres, Azure OpenAI).
        "AZURE_CLIENT_ID",
    };

    /// <summary>
    /// Settings of the Functions host when run locally (func start). Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME
    /// as an app setting (the runtime is in functionAppConfig), so it is local only.
    /// </summary>
    public static readonly IReadOnlySet<string> LocalHostSettings = new HashSet<string>(StringComparer.Ordinal)
    {
        "AzureWebJobsStorage",
        "FUNCTIONS_WORKER_RUNTIME",
        // The queue trigger's connection WEEKLY_QUEUE as a connection string (Azurite's queue endpoint).
        "WEEKLY_QUEUE",
        // Telemetry to a local OTLP collector (the OpenTelemetry SDK reads them; empty: nowhere).
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    };

    /// <summary>Every <c>[ConfigurationKeyName]</c> property of the runner library's classes, by setting name.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> ReadByCode { get; } = typeof(StorageOptions).Assembly
        .GetTypes()
        .SelectMany(type => type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        .Select(property => (Property: property, Key: property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name))
        .Where(setting => setting.Key is not null)
        .ToDictionary(setting => setting.Key!, setting => setting.Property, StringComparer.Ordinal);

    /// <summary>The properties of the function app's <c>appsettings</c> config resource in the compiled ARM JSON.</summary>
    public static IReadOnlyDictionary<string, string> InBicep(string armJson)
    {
        var appSettings = ResourcesOf(armJson)
            .Where(resource => (string?)resource["type"] == "Microsoft.Web/sites/config"
                && ((string?)resource["name"])?.Contains("'appsettings'", StringComparison.Ordinal) == true)
            .ToList();
        Assert.True(appSettings.Count == 1, $"Expected one Microsoft.Web/sites/config 'appsettings' resource in the ARM JSON, found {appSettings.Count}.");
        var properties = appSettings[0]["properties"] as JsonObject
            ?? throw new InvalidOperationException("The appsettings resource's properties must be an object literal (not an expression), so its keys can be checked.");
        return properties.ToDictionary(
            property => property.Key,
            property => property.Value?.GetValueKind() == JsonValueKind.String ? (string)property.Value! : property.Value?.ToJsonString() ?? "",
            StringComparer.Ordinal);
    }

    /// <summary>Every resource of the compiled ARM JSON, those of nested module deployments included.</summary>
    public static IReadOnlyList<JsonObject> ResourcesOf(string armJson)
    {
        var resources = new List<JsonObject>();
        Collect(JsonNode.Parse(armJson), resources);
        return resources;
    }

    /// <summary>The <c>Values</c> of <c>local.settings.sample.json</c>.</summary>
    public static IReadOnlyDictionary<string, string> InLocalSample()
    {
        var sample = JsonNode.Parse(File.ReadAllText(RepositoryFiles.PathOf("local.settings.sample.json")))!;
        return sample["Values"]!.AsObject().ToDictionary(value => value.Key, value => (string?)value.Value ?? "", StringComparer.Ordinal);
    }

    private static void Collect(JsonNode? node, List<JsonObject> resources)
    {
        switch (node)
        {
            case JsonObject json:
                if (json["type"] is JsonValue type && type.GetValueKind() == JsonValueKind.String)
                {
                    resources.Add(json);
                }

                foreach (var (_, child) in json)
                {
                    Collect(child, resources);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Collect(child, resources);
                }

                break;
        }
    }
}
