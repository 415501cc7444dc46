namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// The network and platform shape of <c>infra/main.bicep</c>, checked on what a deployment would create: the template
/// compiled and evaluated by <c>bicep snapshot</c> for a set of parameters (conditions, loops and modules expanded),
/// not on the Bicep text. Closed by default (VNet integration, private endpoints, public access off); without a
/// virtual network nothing is admitted but <c>allowedIpRanges</c>, and never through the 0.0.0.0 rule.
/// </summary>
public sealed class BicepNetworkTests
{
    private const string WithoutNetwork = "param vnetEnabled = false";
    private const string WithoutNetworkWithRanges = """
        param vnetEnabled = false
        param allowedIpRanges = ['203.0.113.0/24', '198.51.100.7', '198.51.100.10-198.51.100.20']
        """;

    private const string PrivateEndpoints = "Microsoft.Network/privateEndpoints";
    private const string PostgresFirewallRules = "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules";

    [Fact]
    public async Task By_default_the_app_integrates_with_a_subnet_delegated_for_flex_consumption()
    {
        var snapshot = await BicepCli.MainSnapshot();

        var vnet = snapshot.Single("Microsoft.Network/virtualNetworks");
        var appSubnet = Assert.Single(vnet["properties"]!["subnets"]!.AsArray(), subnet => (string?)subnet!["name"] == "app")!;
        var delegation = Assert.Single(appSubnet["properties"]!["delegations"]!.AsArray())!;
        Assert.Equal("Microsoft.App/environments", (string?)delegation["properties"]!["serviceName"]);

        var app = snapshot.Single("Microsoft.Web/sites");
        Assert.Equal($"{vnet["id"]}/subnets/app", (string?)app["properties"]!["virtualNetworkSubnetId"]);
    }

    [Fact]
    public async Task By_default_storage_key_vault_and_postgres_are_reached_through_private_endpoints_only()
    {
        var snapshot = await BicepCli.MainSnapshot();
        var storage = snapshot.Single("Microsoft.Storage/storageAccounts");
        var vault = snapshot.Single("Microsoft.KeyVault/vaults");
        var postgres = snapshot.Single("Microsoft.DBforPostgreSQL/flexibleServers");

        Assert.Equal("Disabled", (string?)storage["properties"]!["publicNetworkAccess"]);
        Assert.Equal("Deny", (string?)storage["properties"]!["networkAcls"]!["defaultAction"]);
        Assert.Empty(storage["properties"]!["networkAcls"]!["ipRules"]!.AsArray());
        Assert.Equal("Disabled", (string?)vault["properties"]!["publicNetworkAccess"]);
        Assert.Equal("Deny", (string?)vault["properties"]!["networkAcls"]!["defaultAction"]);
        Assert.Equal("Disabled", (string?)postgres["properties"]!["network"]!["publicNetworkAccess"]);
        Assert.Empty(snapshot.OfType(PostgresFirewallRules));

        var privateEndpointSubnet = $"{snapshot.Single("Microsoft.Network/virtualNetworks")["id"]}/subnets/private-endpoints";
        var endpoints = snapshot.OfType(PrivateEndpoints)
            .Select(endpoint => (
                Target: (string?)endpoint["properties"]!["privateLinkServiceConnections"]![0]!["properties"]!["privateLinkServiceId"],
                Group: (string?)Assert.Single(endpoint["properties"]!["privateLinkServiceConnections"]![0]!["properties"]!["groupIds"]!.AsArray()),
                Subnet: (string?)endpoint["properties"]!["subnet"]!["id"]))
            .OrderBy(endpoint => endpoint.Group, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
            [
                ((string?)storage["id"], "blob", privateEndpointSubnet),
                ((string?)postgres["id"], "postgresqlServer", privateEndpointSubnet),
                ((string?)storage["id"], "queue", privateEndpointSubnet),
                ((string?)vault["id"], "vault", privateEndpointSubnet),
            ],
            endpoints);
        // Each endpoint registers its address in a privatelink DNS zone linked to the network.
        Assert.Equal(4, snapshot.OfType("Microsoft.Network/privateEndpoints/privateDnsZoneGroups").Count);
        Assert.Equal(4, snapshot.OfType("Microsoft.Network/privateDnsZones/virtualNetworkLinks").Count);
    }

    [Fact]
    public async Task The_deployers_address_alone_opens_the_storage_firewall()
    {
        var snapshot = await BicepCli.MainSnapshot("param deployerIpAddress = '203.0.113.9'");
        var storage = snapshot.Single("Microsoft.Storage/storageAccounts")["properties"]!;

        Assert.Equal("Enabled", (string?)storage["publicNetworkAccess"]);
        Assert.Equal("Deny", (string?)storage["networkAcls"]!["defaultAction"]);
        Assert.Equal("AzureServices", (string?)storage["networkAcls"]!["bypass"]);
        var rule = Assert.Single(storage["networkAcls"]!["ipRules"]!.AsArray())!;
        Assert.Equal("203.0.113.9", (string?)rule["value"]);
        Assert.Equal("Allow", (string?)rule["action"]);
        Assert.Equal("Disabled", (string?)snapshot.Single("Microsoft.KeyVault/vaults")["properties"]!["publicNetworkAccess"]);
        Assert.Equal("Disabled", (string?)snapshot.Single("Microsoft.DBforPostgreSQL/flexibleServers")["properties"]!["network"]!["publicNetworkAccess"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData(WithoutNetwork)]
    [InlineData(WithoutNetworkWithRanges)]
    public async Task No_deployment_admits_every_azure_tenant_through_the_0_0_0_0_rule(string parameters)
    {
        var snapshot = await BicepCli.MainSnapshot(parameters);

        Assert.DoesNotContain(
            snapshot.OfType(PostgresFirewallRules),
            rule => (string?)rule["properties"]!["startIpAddress"] == "0.0.0.0" || (string?)rule["properties"]!["endIpAddress"] == "0.0.0.0");
        Assert.DoesNotContain("AllowAllAzureServices", snapshot.Snapshot!.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_0_0_0_0_rule_is_refused_as_an_allowed_ip_range()
    {
        var snapshot = await BicepCli.MainSnapshot("param allowedIpRanges = ['0.0.0.0-0.0.0.0']");

        Assert.NotEqual(0, snapshot.ExitCode);
        Assert.Contains("admits every Azure tenant", snapshot.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_network_postgres_admits_nobody_unless_ranges_are_given()
    {
        var snapshot = await BicepCli.MainSnapshot(WithoutNetwork);

        Assert.Equal("Enabled", (string?)snapshot.Single("Microsoft.DBforPostgreSQL/flexibleServers")["properties"]!["network"]!["publicNetworkAccess"]);
        Assert.Empty(snapshot.OfType(PostgresFirewallRules));
        Assert.Empty(snapshot.OfType(PrivateEndpoints));
        Assert.Empty(snapshot.OfType("Microsoft.Network/virtualNetworks"));
        Assert.Null(snapshot.Single("Microsoft.Web/sites")["properties"]!["virtualNetworkSubnetId"]);
    }

    [Fact]
    public async Task Without_a_network_the_postgres_firewall_admits_exactly_the_allowed_ranges()
    {
        var snapshot = await BicepCli.MainSnapshot(WithoutNetworkWithRanges);

        var rules = snapshot.OfType(PostgresFirewallRules)
            .Select(rule => ((string?)rule["properties"]!["startIpAddress"], (string?)rule["properties"]!["endIpAddress"]))
            .ToList();
        Assert.Equal(
            [("203.0.113.0", "203.0.113.255"), ("198.51.100.7", "198.51.100.7"), ("198.51.100.10", "198.51.100.20")],
            rules);
    }

    /// <summary>App Service takes CIDR blocks only: a start-end range becomes the fewest blocks that cover it exactly.</summary>
    [Fact]
    public async Task The_allowed_ranges_restrict_access_to_the_whole_app()
    {
        var siteConfig = (await BicepCli.MainSnapshot(WithoutNetworkWithRanges)).Single("Microsoft.Web/sites")["properties"]!["siteConfig"]!;

        Assert.Equal("Deny", (string?)siteConfig["ipSecurityRestrictionsDefaultAction"]);
        var restrictions = siteConfig["ipSecurityRestrictions"]!.AsArray();
        Assert.All(restrictions, restriction => Assert.Equal("Allow", (string?)restriction!["action"]));
        Assert.Equal(
            ["203.0.113.0/24", "198.51.100.7/32", "198.51.100.10/31", "198.51.100.12/30", "198.51.100.16/30", "198.51.100.20/32"],
            restrictions.Select(restriction => (string?)restriction!["ipAddress"]));
    }

    [Fact]
    public async Task Without_allowed_ranges_the_app_has_no_access_restrictions()
    {
        var siteConfig = (await BicepCli.MainSnapshot()).Single("Microsoft.Web/sites")["properties"]!["siteConfig"]!;

        Assert.Equal("Allow", (string?)siteConfig["ipSecurityRestrictionsDefaultAction"]);
        Assert.Empty(siteConfig["ipSecurityRestrictions"]!.AsArray());
    }

    [Fact]
    public async Task Key_vault_purge_protection_is_on_unless_turned_off()
    {
        var byDefault = (await BicepCli.MainSnapshot()).Single("Microsoft.KeyVault/vaults")["properties"]!;
        var turnedOff = (await BicepCli.MainSnapshot("param keyVaultPurgeProtection = false")).Single("Microsoft.KeyVault/vaults")["properties"]!;

        Assert.True((bool?)byDefault["enablePurgeProtection"]);
        Assert.True((bool?)byDefault["enableSoftDelete"]);
        Assert.NotEqual(true, (bool?)turnedOff["enablePurgeProtection"]);
    }

    [Fact]
    public async Task Basic_publishing_credentials_are_off_for_scm_and_ftp()
    {
        var policies = (await BicepCli.MainSnapshot()).OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
            .ToDictionary(policy => ((string)policy["name"]!).Split('/')[^1], policy => (bool?)policy["properties"]!["allow"], StringComparer.Ordinal);

        Assert.Equal(new Dictionary<string, bool?>(StringComparer.Ordinal) { ["scm"] = false, ["ftp"] = false }, policies);
    }
}
