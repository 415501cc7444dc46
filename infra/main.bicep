// InPsyq Weekly on Azure: the function app (Flex Consumption, .NET 10 isolated) with a user-assigned identity,
// its storage account, PostgreSQL flexible server (Entra authentication), Key Vault, Application Insights and Log
// Analytics. `azd up` deploys it with main.parameters.json; docs/deploy.md walks through it. By default the network is
// closed: the app's outbound traffic leaves through a virtual network, and storage, Key Vault and Postgres are reached
// through private endpoints only.
targetScope = 'subscription'

import { cidrBlocks, ipRangeBounds } from 'modules/ipranges.bicep'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the resources\' unique names.')
param environmentName string

@minLength(1)
@description('Azure region of all resources (one where Flex Consumption is available).')
param location string

@description('Object id of the Entra principal made Postgres administrator; azd passes the signed-in user.')
param postgresEntraAdminObjectId string

@description('Name of that principal as Postgres knows it (the user principal name of a user).')
param postgresEntraAdminName string

@description('Kind of that principal.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param postgresEntraAdminType string = 'User'

@description('Days Azure PostgreSQL keeps automated backups (point-in-time restore window, 7-35).')
@minValue(7)
@maxValue(35)
param postgresBackupRetentionDays int = 7

@description('Whether Postgres backups are also kept in the paired region (fixed when the server is created).')
param postgresGeoRedundantBackup bool = false

@description('Postgres compute size. The default is the smallest whose connections fit maximumInstanceCount × postgresPoolSize (docs/deploy.md).')
param postgresSkuName string = 'Standard_B2s'

@description('Postgres compute tier matching postgresSkuName.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'Burstable'

@description('Postgres storage size in GiB.')
param postgresStorageSizeGB int = 32

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Secret of POST /api/internal/run-weekly (X-CRON-SECRET); at least 32 characters.')
@secure()
@minLength(32)
param internalCronSecret string

@description('Secret of the internal health and diagnostics endpoints (X-ADMIN-SECRET); at least 32 characters, different from the cron secret.')
@secure()
@minLength(32)
param internalAdminSecret string

@description('Versioned Key Vault secret URI of the previous cron secret while a rotation is rolled out (docs/deploy.md); empty otherwise.')
param previousInternalCronSecretUri string = ''

@description('Versioned Key Vault secret URI of the previous admin secret while a rotation is rolled out (docs/deploy.md); empty otherwise.')
param previousInternalAdminSecretUri string = ''

@description('Directory (tenant) id whose Entra ID access tokens the internal endpoints accept (docs/deploy.md); empty for the shared secrets only.')
param authEntraTenantId string = ''

@description('Client id and/or App ID URI (comma-separated) of the app registration the Entra ID tokens are issued for; empty for the shared secrets only.')
param authEntraAudience string = ''

@description('Incoming webhook URL of the alert channel; empty for no alerts.')
@secure()
param alertWebhookUrl string = ''

@description('Azure OpenAI endpoint for stage 3; empty for the offline interpreter. Grant the app\'s identity "Cognitive Services OpenAI User" on that resource.')
param azureOpenAiEndpoint string = ''

@description('Azure OpenAI deployment name; required with an endpoint.')
param azureOpenAiDeployment string = ''

@description('Requests-per-minute quota of the Azure OpenAI deployment, shared by every instance (the quota governor); 0 for no limit.')
@minValue(0)
param llmRequestsPerMinute int = 0

@description('Tokens-per-minute quota of the Azure OpenAI deployment, shared by every instance (the quota governor); 0 for no limit.')
@minValue(0)
param llmTokensPerMinute int = 0

@description('Upper bound of function app instances. Times postgresPoolSize, it must fit the Postgres server\'s connections (checked below).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Npgsql connection pool size (Maximum Pool Size) of each function app instance.')
@minValue(2)
@maxValue(100)
param postgresPoolSize int = 7

@description('max_connections of the Postgres server when it is not the default of postgresSkuName (a changed server parameter); 0 = that default.')
@minValue(0)
param postgresMaxConnections int = 0

@description('Memory of each function app instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Closed network: VNet integration of the app, private endpoints for blob, queue, Key Vault and Postgres, and public network access disabled on all of them. Postgres keeps the networking mode it was created with (docs/deploy.md).')
param vnetEnabled bool = true

@description('Address space of the virtual network (vnetEnabled); its first two /24 blocks become the app\'s and the private endpoints\' subnets.')
param vnetAddressPrefix string = '10.60.0.0/16'

@description('Public IPv4 ranges admitted: "203.0.113.0/24", "203.0.113.7" or "203.0.113.10-203.0.113.20". They become the access restrictions of the whole app (none: every address) and, without vnetEnabled, the only Postgres firewall rules.')
param allowedIpRanges string[] = []

@description('With vnetEnabled: the public IPv4 address of the machine that deploys, admitted by the storage firewall to reach the deployment container; empty keeps the storage account\'s public endpoint disabled.')
param deployerIpAddress string = ''

@description('Key Vault purge protection: a deleted vault cannot be purged, nor its name reused, until its 7-day soft-delete retention ends. Once on, it cannot be turned off.')
param keyVaultPurgeProtection bool = true

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 7)}'
var lockContainerName = 'weekly-locks'
var attributionContainerName = 'attribution'
var allowedIpBounds = map(allowedIpRanges, range => ipRangeBounds(range))

// Default max_connections of Azure Database for PostgreSQL flexible server by compute size; Azure keeps 15 of them for
// itself. https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-limits
var postgresDefaultMaxConnections = {
  Standard_B1ms: 50
  Standard_B2s: 429
  Standard_B2ms: 859
  Standard_B4ms: 1718
  Standard_B8ms: 3437
  Standard_B12ms: 5000
  Standard_B16ms: 5000
  Standard_B20ms: 5000
  Standard_D2ds_v5: 859
  Standard_D4ds_v5: 1718
  Standard_D8ds_v5: 3437
  Standard_D16ds_v5: 5000
  Standard_E2ds_v5: 1718
  Standard_E4ds_v5: 3437
  Standard_E8ds_v5: 5000
}
var postgresUserConnections = (postgresMaxConnections > 0
  ? postgresMaxConnections
  : postgresDefaultMaxConnections[?postgresSkuName] ?? fail('The default max_connections of postgresSkuName ${postgresSkuName} is not known here: set postgresMaxConnections.')) - 15
// The migrator's pool of each instance: it migrates at start-up on one connection and runs db-maintenance.
var postgresMigratorPoolSize = 1
// Every instance may fill both its pools at once: together they may use 80 % of the user connections, the rest is for
// administrators and the standalone host.
var postgresConnectionBudget = postgresUserConnections * 80 / 100
var postgresPoolSizeThatFits = maximumInstanceCount * (postgresPoolSize + postgresMigratorPoolSize) <= postgresConnectionBudget
  ? postgresPoolSize
  : fail('maximumInstanceCount (${maximumInstanceCount}) × (postgresPoolSize (${postgresPoolSize}) + the migrator\'s ${postgresMigratorPoolSize}) exceeds 80 % of the ${postgresUserConnections} user connections of ${postgresSkuName} (${postgresConnectionBudget}): lower either, or choose a larger postgresSkuName (docs/deploy.md).')

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: 'id-${resourceToken}'
    migratorName: 'id-migrator-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
  }
}

module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: resourceGroup
  params: {
    name: 'vnet-${resourceToken}'
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containerNames: [
      deploymentContainerName
      lockContainerName
      attributionContainerName
    ]
    vnetEnabled: vnetEnabled
    deployerIpAddress: deployerIpAddress
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: resourceGroup
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    internalCronSecret: internalCronSecret
    internalAdminSecret: internalAdminSecret
    alertWebhookUrl: alertWebhookUrl
    vnetEnabled: vnetEnabled
    purgeProtection: keyVaultPurgeProtection
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  scope: resourceGroup
  params: {
    name: 'psql-${resourceToken}'
    location: location
    tags: tags
    databaseName: 'inpsyq'
    version: '16'
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    storageSizeGB: postgresStorageSizeGB
    backupRetentionDays: postgresBackupRetentionDays
    geoRedundantBackup: postgresGeoRedundantBackup
    entraAdminObjectId: postgresEntraAdminObjectId
    entraAdminName: postgresEntraAdminName
    entraAdminType: postgresEntraAdminType
    vnetEnabled: vnetEnabled
    firewallRules: allowedIpBounds
  }
}

// The private endpoints of a closed network, each with its privatelink DNS zone linked to the virtual network.
var privateEndpoints = [
  {
    name: 'pe-blob-${resourceToken}'
    groupId: 'blob'
    dnsZoneName: 'privatelink.blob.${environment().suffixes.storage}'
    target: 'storage'
  }
  {
    name: 'pe-queue-${resourceToken}'
    groupId: 'queue'
    dnsZoneName: 'privatelink.queue.${environment().suffixes.storage}'
    target: 'storage'
  }
  {
    name: 'pe-vault-${resourceToken}'
    groupId: 'vault'
    dnsZoneName: 'privatelink.vaultcore.azure.net'
    target: 'keyVault'
  }
  {
    name: 'pe-postgres-${resourceToken}'
    groupId: 'postgresqlServer'
    dnsZoneName: 'privatelink.postgres.database.azure.com'
    target: 'postgres'
  }
]

@batchSize(1) // the blob and queue endpoints of one storage account are not created concurrently
module privateEndpoint 'modules/privateendpoint.bicep' = [
  for endpoint in privateEndpoints: if (vnetEnabled) {
    name: endpoint.name
    scope: resourceGroup
    params: {
      name: endpoint.name
      location: location
      tags: tags
      vnetId: network.?outputs.id ?? ''
      subnetId: network.?outputs.privateEndpointSubnetId ?? ''
      targetResourceId: {
        storage: storage.outputs.id
        keyVault: keyVault.outputs.id
        postgres: postgres.outputs.id
      }[endpoint.target]
      groupId: endpoint.groupId
      dnsZoneName: endpoint.dnsZoneName
    }
  }
]

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: resourceGroup
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: resourceGroup
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    azdServiceName: 'weekly'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    identityName: identity.outputs.name
    migratorIdentityId: identity.outputs.migratorId
    migratorIdentityClientId: identity.outputs.migratorClientId
    migratorIdentityName: identity.outputs.migratorName
    postgresMigratorPoolSize: postgresMigratorPoolSize
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerName: deploymentContainerName
    lockContainerName: lockContainerName
    attributionContainerName: attributionContainerName
    virtualNetworkSubnetId: network.?outputs.appSubnetId ?? ''
    allowedIpCidrs: flatten(map(allowedIpBounds, bounds => cidrBlocks(bounds)))
    postgresHost: postgres.outputs.fqdn
    postgresDatabase: postgres.outputs.databaseName
    postgresPoolSize: postgresPoolSizeThatFits
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    internalCronSecretUri: keyVault.outputs.internalCronSecretUri
    internalAdminSecretUri: keyVault.outputs.internalAdminSecretUri
    previousInternalCronSecretUri: previousInternalCronSecretUri
    previousInternalAdminSecretUri: previousInternalAdminSecretUri
    alertWebhookUrlSecretUri: keyVault.outputs.alertWebhookUrlSecretUri
    authEntraTenantId: authEntraTenantId
    authEntraAudience: authEntraAudience
    azureOpenAiEndpoint: azureOpenAiEndpoint
    azureOpenAiDeployment: azureOpenAiDeployment
    llmRequestsPerMinute: llmRequestsPerMinute
    llmTokensPerMinute: llmTokensPerMinute
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // The app resolves its Key Vault references and reaches storage and Postgres as soon as it exists.
  dependsOn: [
    roles
    privateEndpoint
  ]
}

@description('Region of the deployment (azd).')
output AZURE_LOCATION string = location

@description('Tenant of the deployment (azd).')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Resource group of the deployment.')
output AZURE_RESOURCE_GROUP string = resourceGroup.name

@description('Name of the function app.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Base URL of the function app\'s HTTP functions.')
output WEEKLY_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}/api'

@description('Name of the key vault holding the app\'s secrets.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('Host name of the Postgres server.')
output POSTGRES_HOST string = postgres.outputs.fqdn

@description('Name of the pipeline\'s database.')
output POSTGRES_DATABASE string = postgres.outputs.databaseName

@description('Name of the app\'s managed identity: the Postgres role to create (docs/deploy.md).')
output MANAGED_IDENTITY_NAME string = identity.outputs.name

@description('Name of the migrator\'s managed identity: the Postgres role that owns the schema (docs/deploy.md).')
output MIGRATOR_IDENTITY_NAME string = identity.outputs.migratorName

@description('Client id of the app\'s managed identity.')
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
