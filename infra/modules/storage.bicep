// The storage account of the function app: the Functions host (AzureWebJobsStorage), the Flex Consumption
// deployment package, the pipeline's containers and its work queue. Identity-based access only.

@description('Name of the storage account (3-24 lowercase letters and digits, globally unique).')
param name string

@description('Azure region of the storage account.')
param location string

@description('Tags applied to the storage account.')
param tags object

@description('Blob containers to create: the deployment package container and the pipeline\'s containers.')
param containerNames string[]

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
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
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

@description('Blob service endpoint (https://<account>.blob.core.windows.net/).')
output blobEndpoint string = storage.properties.primaryEndpoints.blob

@description('Queue service endpoint (https://<account>.queue.core.windows.net/): the work queue.')
output queueEndpoint string = storage.properties.primaryEndpoints.queue
