using System.Text.Json.Nodes;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// <c>infra/main.bicep</c> compiles with the pinned Bicep CLI, with no error and no linter warning, and gives the app what
/// the work queue needs: the queue role, the identity-based queue connection, connection pools that fit Postgres.
/// </summary>
public sealed class BicepTemplateTests
{
    [Fact]
    public async Task Main_bicep_compiles_without_errors_or_warnings()
    {
        var build = await BicepCli.MainBuild;

        Assert.True(build.ExitCode == 0, $"bicep {BicepCli.Version} build infra/main.bicep exited with {build.ExitCode}:\n{build.Diagnostics}");
        Assert.True(string.IsNullOrWhiteSpace(build.Diagnostics), $"bicep {BicepCli.Version} build infra/main.bicep reported diagnostics (warnings fail the build too):\n{build.Diagnostics}");
        Assert.StartsWith("{", build.ArmJson.TrimStart(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_app_identity_may_work_the_storage_accounts_queues()
    {
        var roles = Module(AppSettings.ResourcesOf(await CompiledAsync()), "roles")["properties"]!["template"]!;
        var roleIds = roles["variables"]!["roles"]!.AsObject();

        // Storage Queue Data Contributor: send, receive, renew and delete messages, create the queues. It includes the
        // data actions of Storage Queue Data Message Processor, which the queue trigger needs.
        var contributor = Assert.Single(roleIds, role => (string?)role.Value == "974c5e8b-45b9-4653-ba55-5f855dd0fb88").Key;
        var assignment = Assert.Single(
            AppSettings.ResourcesOf(roles.ToJsonString()),
            resource => (string?)resource["type"] == "Microsoft.Authorization/roleAssignments"
                && ((string?)resource["properties"]!["roleDefinitionId"])!.Contains($"variables('roles').{contributor}", StringComparison.Ordinal));
        Assert.StartsWith("[resourceId('Microsoft.Storage/storageAccounts'", (string?)assignment["scope"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_queue_trigger_and_the_library_reach_the_queue_endpoint_with_the_managed_identity()
    {
        var armJson = await CompiledAsync();
        var settings = AppSettings.InBicep(armJson);

        Assert.Equal("managedidentity", settings["WEEKLY_QUEUE__credential"]);
        Assert.Equal(settings["AZURE_CLIENT_ID"], settings["WEEKLY_QUEUE__clientId"]);
        Assert.Equal("[parameters('queueEndpoint')]", settings["WEEKLY_QUEUE__queueServiceUri"]);
        Assert.Equal(settings["WEEKLY_QUEUE__queueServiceUri"], settings["QUEUE_SERVICE_URI"]);

        var resources = AppSettings.ResourcesOf(armJson);
        var queueEndpoint = (string?)Module(resources, "functionapp")["properties"]!["parameters"]!["queueEndpoint"]!["value"];
        Assert.Contains("'storage'", queueEndpoint, StringComparison.Ordinal);
        Assert.Contains(".outputs.queueEndpoint.value", queueEndpoint, StringComparison.Ordinal);
        var storage = Module(resources, "storage");
        Assert.Contains("primaryEndpoints.queue", (string?)storage["properties"]!["template"]!["outputs"]!["queueEndpoint"]!["value"], StringComparison.Ordinal);
    }

    /// <summary>
    /// Every instance may fill its Npgsql pools (the runtime's and the migrator's) at once, so instances × pools must stay within 80 % of the server's user
    /// connections (max_connections − the 15 Azure keeps). The defaults fit; the B1ms server the app was first sized for
    /// does not (35 user connections for at least 40 instances); any other combination is refused by the deployment.
    /// </summary>
    [Fact]
    public async Task The_instances_connection_pools_fit_the_postgres_servers_connections()
    {
        var arm = JsonNode.Parse(await CompiledAsync())!;
        var instances = (int)arm["parameters"]!["maximumInstanceCount"]!["defaultValue"]!;
        var pool = (int)arm["parameters"]!["postgresPoolSize"]!["defaultValue"]! + (int)arm["variables"]!["postgresMigratorPoolSize"]!;
        var sku = (string)arm["parameters"]!["postgresSkuName"]!["defaultValue"]!;
        var maxConnections = arm["variables"]!["postgresDefaultMaxConnections"]!;
        static int Budget(int maxConnections) => (maxConnections - 15) * 80 / 100;

        Assert.InRange(instances * pool, 1, Budget((int)maxConnections[sku]!));
        Assert.True(instances * 1 > Budget((int)maxConnections["Standard_B1ms"]!), "Not even one connection per instance fits a B1ms server.");
        Assert.Contains("fail(", (string?)arm["variables"]!["postgresPoolSizeThatFits"], StringComparison.Ordinal);
        var armJson = arm.ToJsonString();
        Assert.Equal("[variables('postgresPoolSizeThatFits')]",
            (string?)Module(AppSettings.ResourcesOf(armJson), "functionapp")["properties"]!["parameters"]!["postgresPoolSize"]!["value"]);
        Assert.Contains("Maximum Pool Size={", AppSettings.InBicep(armJson)["POSTGRES_CONNECTION_STRING"], StringComparison.Ordinal);
        Assert.Contains("Maximum Pool Size={", AppSettings.InBicep(armJson)["POSTGRES_MIGRATOR_CONNECTION_STRING"], StringComparison.Ordinal);
        Assert.Equal("[variables('postgresMigratorPoolSize')]",
            (string?)Module(AppSettings.ResourcesOf(armJson), "functionapp")["properties"]!["parameters"]!["postgresMigratorPoolSize"]!["value"]);
    }

    private static JsonObject Module(IReadOnlyList<JsonObject> resources, string name) =>
        resources.Single(resource => (string?)resource["type"] == "Microsoft.Resources/deployments" && (string?)resource["name"] == name);

    private static async Task<string> CompiledAsync()
    {
        var build = await BicepCli.MainBuild;
        Assert.True(build.ExitCode == 0, $"bicep build infra/main.bicep failed:\n{build.Diagnostics}");
        return build.ArmJson;
    }
}
