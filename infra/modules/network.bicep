// The virtual network of a closed deployment (vnetEnabled): one subnet the Flex Consumption app integrates with (all
// of its outbound traffic leaves through it) and one for the private endpoints of storage, Key Vault and Postgres.

@description('Name of the virtual network.')
param name string

@description('Azure region of the virtual network (the app\'s region).')
param location string

@description('Tags applied to the virtual network.')
param tags object

@description('Address space of the virtual network; the two subnets are its first two /24 blocks.')
param addressPrefix string

var appSubnetName = 'app'
var privateEndpointSubnetName = 'private-endpoints'

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 0)
          // Flex Consumption integrates with a subnet delegated to Microsoft.App/environments (not Microsoft.Web/serverFarms).
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

@description('Resource id of the virtual network.')
output id string = vnet.id

@description('Resource id of the subnet the function app integrates with.')
output appSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, appSubnetName)

@description('Resource id of the subnet of the private endpoints.')
output privateEndpointSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, privateEndpointSubnetName)
