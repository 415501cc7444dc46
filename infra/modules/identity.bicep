// The app's user-assigned managed identities: the runtime identity reads storage, Key Vault secrets and Postgres, and
// publishes telemetry; the migrator identity only logs in to Postgres as the schema's owner (docs/deploy.md, step 3).

@description('Name of the user-assigned managed identity.')
param name string

@description('Name of the migrator\'s user-assigned managed identity: it owns the schema, applies migrations and runs db-maintenance.')
param migratorName string

@description('Azure region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

resource migrator 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: migratorName
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output id string = identity.id

@description('Name of the identity; also its Postgres role name (see docs/deploy.md).')
output name string = identity.name

@description('Client (application) id of the identity, for AZURE_CLIENT_ID and AzureWebJobsStorage__clientId.')
output clientId string = identity.properties.clientId

@description('Object (principal) id of the identity, for role assignments.')
output principalId string = identity.properties.principalId

@description('Resource id of the migrator identity.')
output migratorId string = migrator.id

@description('Name of the migrator identity; also its Postgres role name (see docs/deploy.md).')
output migratorName string = migrator.name

@description('Client id of the migrator identity, for POSTGRES_MIGRATOR_MANAGED_IDENTITY_CLIENT_ID.')
output migratorClientId string = migrator.properties.clientId
