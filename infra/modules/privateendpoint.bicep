// A private endpoint of one service of one resource (blob, queue, vault or postgresqlServer) in the private-endpoint
// subnet, with the private DNS zone that makes the resource's public host name resolve to it inside the network.

@description('Name of the private endpoint.')
param name string

@description('Azure region of the private endpoint (the virtual network\'s region).')
param location string

@description('Tags applied to the private endpoint and its DNS zone.')
param tags object

@description('Resource id of the virtual network the DNS zone is linked to.')
param vnetId string

@description('Resource id of the subnet the endpoint\'s address comes from.')
param subnetId string

@description('Resource id of the resource the endpoint connects to.')
param targetResourceId string

@description('The sub-resource (group id) of that resource: blob, queue, vault or postgresqlServer.')
param groupId string

@description('The privatelink DNS zone of that sub-resource, e.g. privatelink.blob.core.windows.net.')
param dnsZoneName string

resource dnsZone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: dnsZoneName
  location: 'global'
  tags: tags
}

resource dnsZoneLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: dnsZone
  name: 'vnet'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnetId
    }
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: targetResourceId
          groupIds: [
            groupId
          ]
        }
      }
    ]
  }
}

resource dnsZoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: groupId
        properties: {
          privateDnsZoneId: dnsZone.id
        }
      }
    ]
  }
  dependsOn: [
    dnsZoneLink
  ]
}
