// The storage account of the function app: the Functions host (AzureWebJobsStorage), the Flex Consumption
// deployment package, the pipeline's containers and its work queue. Identity-based access only; in a closed
// deployment (vnetEnabled) the app reaches it through private endpoints and the public endpoint is off, or open to the
// deployer's address alone.

@description('Name of the storage account (3-24 lowercase letters and digits, globally unique).')
param name string

@description('Azure region of the storage account.')
param location string

@description('Tags applied to the storage account.')
param tags object

@description('Blob containers to create: the deployment package container and the pipeline\'s containers.')
param containerNames string[]

@description('Whether the app reaches the account through private endpoints (main.bicep creates them): the public endpoint is then closed.')
param vnetEnabled bool

@description('With vnetEnabled: the one public address admitted through the firewall (the deployer\'s machine); empty to disable public network access.')
param deployerIpAddress string

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Without a virtual network the app comes from Azure's shared outbound addresses, so only identity-based access
    // (no shared keys) guards the account.
    publicNetworkAccess: vnetEnabled && empty(deployerIpAddress) ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: vnetEnabled ? 'Deny' : 'Allow'
      ipRules: vnetEnabled && !empty(deployerIpAddress)
        ? [
            {
              value: deployerIpAddress
              action: 'Allow'
            }
          ]
        : []
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [
  for containerName in containerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

@description('Name of the storage account.')
output name string = storage.name

@description('Resource id of the storage account.')
output id string = storage.id

@description('Blob service endpoint (https://<account>.blob.core.windows.net/).')
output blobEndpoint string = storage.properties.primaryEndpoints.blob

@description('Queue service endpoint (https://<account>.queue.core.windows.net/): the work queue.')
output queueEndpoint string = storage.properties.primaryEndpoints.queue
