// Key Vault (RBAC authorization) holding the app's secrets. The function app reads them as Key Vault references
// with its user-assigned identity (Key Vault Secrets User, see roles.bicep); no secret value leaves this module. In a
// closed deployment (vnetEnabled) the app reaches it through a private endpoint and public network access is off; the
// secrets below are written through the management plane (Azure Resource Manager), which the vault's network rules
// do not apply to.

@description('Name of the key vault (3-24 characters, globally unique).')
param name string

@description('Azure region of the key vault.')
param location string

@description('Tags applied to the key vault.')
param tags object

@description('Secret of the internal run endpoint (X-CRON-SECRET); at least 32 characters.')
@secure()
@minLength(32)
param internalCronSecret string

@description('Secret of the internal health and diagnostics endpoints (X-ADMIN-SECRET); at least 32 characters.')
@secure()
@minLength(32)
param internalAdminSecret string

@description('Whether the app reaches the vault through a private endpoint (main.bicep creates it): public network access is then disabled.')
param vnetEnabled bool

@description('Purge protection: a deleted vault and its secrets cannot be purged before the soft-delete retention ends. It cannot be turned off again once on.')
param purgeProtection bool

@description('Incoming webhook URL of the alert channel (it embeds a token); empty for no alerts.')
@secure()
param alertWebhookUrl string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // Key Vault accepts only true (or no value): purge protection cannot be switched off.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: vnetEnabled ? 'Deny' : 'Allow'
    }
  }
}

resource cronSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'internal-cron-secret'
  properties: {
    value: internalCronSecret
  }
}

resource adminSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'internal-admin-secret'
  properties: {
    value: internalAdminSecret
  }
}

resource alertWebhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(alertWebhookUrl)) {
  parent: vault
  name: 'alert-webhook-url'
  properties: {
    value: alertWebhookUrl
  }
}

@description('Name of the key vault.')
output name string = vault.name

@description('Resource id of the key vault.')
output id string = vault.id

@description('URI (latest version) of the INTERNAL_CRON_SECRET secret.')
output internalCronSecretUri string = cronSecret.properties.secretUri

@description('URI (latest version) of the INTERNAL_ADMIN_SECRET secret.')
output internalAdminSecretUri string = adminSecret.properties.secretUri

@description('URI (latest version) of the ALERT_WEBHOOK_URL secret; empty when no webhook was given.')
output alertWebhookUrlSecretUri string = alertWebhookSecret.?properties.secretUri ?? ''
