// Azure Database for PostgreSQL flexible server with Microsoft Entra authentication only (no passwords), the
// pipeline's database, and automated backups. The app's identity is granted its role with SQL after deployment
// (pgaadauth_create_principal, see docs/deploy.md).
// Networking: the server is created in the "public access" networking mode, which is fixed at creation, and then
// either closed (vnetEnabled: public network access disabled, the app connects through a private endpoint that
// main.bicep adds) or open only to the firewall rules given (never the 0.0.0.0 rule that admits every Azure tenant).

@description('Name of the server (globally unique; part of its host name).')
param name string

@description('Azure region of the server.')
param location string

@description('Tags applied to the server.')
param tags object

@description('Name of the pipeline\'s database.')
param databaseName string

@description('PostgreSQL major version.')
@allowed([
  '16'
  '17'
])
param version string

@description('Compute size, e.g. Standard_B1ms (Burstable) or Standard_D2ds_v5 (GeneralPurpose).')
param skuName string

@description('Compute tier matching skuName.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string

@description('Storage size in GiB.')
param storageSizeGB int

@description('Days automated backups are kept (point-in-time restore window).')
@minValue(7)
@maxValue(35)
param backupRetentionDays int

@description('Whether automated backups are also stored in the paired region (cannot be changed after creation).')
param geoRedundantBackup bool

@description('Object id of the Entra principal made server administrator (a user, a group or a service principal).')
param entraAdminObjectId string

@description('Name of that principal as Postgres knows it: a user principal name, a group or application name.')
param entraAdminName string

@description('Kind of that principal.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param entraAdminType string

@description('Whether the app connects through a private endpoint (main.bicep creates it): public network access is then disabled.')
param vnetEnabled bool

@description('Without vnetEnabled: the address ranges admitted by the server\'s firewall, as first and last address; none admits nobody.')
param firewallRules { start: string, end: string }[]

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: tenant().tenantId
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: geoRedundantBackup ? 'Enabled' : 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    network: {
      publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    }
  }
}

resource entraAdmin 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = {
  parent: server
  name: entraAdminObjectId
  properties: {
    principalName: entraAdminName
    principalType: entraAdminType
    tenantId: tenant().tenantId
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [
    entraAdmin // one server operation at a time
  ]
}

@batchSize(1) // one server operation at a time
resource allowedIpRanges 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = [
  for (rule, index) in firewallRules: if (!vnetEnabled) {
    parent: server
    name: 'allowed-ip-range-${index}'
    properties: {
      startIpAddress: rule.start
      endIpAddress: rule.end
    }
    dependsOn: [
      database
    ]
  }
]

@description('Host name of the server.')
output fqdn string = server.properties.fullyQualifiedDomainName

@description('Name of the server.')
output name string = server.name

@description('Resource id of the server.')
output id string = server.id

@description('Name of the pipeline\'s database.')
output databaseName string = database.name
