// The function app on a Flex Consumption plan (.NET 10 isolated worker), running as the user-assigned identity,
// with every app setting of the product. Settings that hold secrets are Key Vault references; all connections are
// identity-based. tests/InPsyq.Weekly.Tests/Deployment checks that the settings below match what the code reads.

@description('Name of the function app (globally unique; part of its host name).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to the plan and the app (the app also gets the azd service tag).')
param tags object

@description('Name of the service in azure.yaml that azd deploys to this app.')
param azdServiceName string

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityId string

@description('Client id of that identity (AZURE_CLIENT_ID, AzureWebJobsStorage__clientId).')
param identityClientId string

@description('Name of that identity: the Postgres role the app logs in as.')
param identityName string

@description('Resource id of the migrator\'s user-assigned managed identity (Postgres only: it owns the schema).')
param migratorIdentityId string

@description('Client id of the migrator identity (POSTGRES_MIGRATOR_MANAGED_IDENTITY_CLIENT_ID).')
param migratorIdentityClientId string

@description('Name of the migrator identity: the Postgres role the app migrates as.')
param migratorIdentityName string

@description('Npgsql pool size of the migrator connection of each instance; main.bicep counts it in the connection budget.')
@minValue(1)
param postgresMigratorPoolSize int

@description('Name of the storage account of the host and the pipeline.')
param storageAccountName string

@description('Blob service endpoint of that storage account.')
param blobEndpoint string

@description('Queue service endpoint of that storage account (the work queue).')
param queueEndpoint string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Blob container of the weekly locks.')
param lockContainerName string

@description('Blob container of the attribution documents.')
param attributionContainerName string

@description('Resource id of the subnet (delegated to Microsoft.App/environments) the app\'s outbound traffic leaves through; empty for none.')
param virtualNetworkSubnetId string

@description('CIDR blocks admitted to the app (access restrictions of the whole app: App Service cannot filter by path); empty admits every address.')
param allowedIpCidrs string[]

@description('Host name of the Postgres server.')
param postgresHost string

@description('Name of the pipeline\'s database.')
param postgresDatabase string

@description('Npgsql connection pool size of each instance (Maximum Pool Size); main.bicep checks it against the server\'s connections.')
@minValue(1)
param postgresPoolSize int

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Key Vault secret URI of INTERNAL_CRON_SECRET.')
param internalCronSecretUri string

@description('Key Vault secret URI of INTERNAL_ADMIN_SECRET.')
param internalAdminSecretUri string

@description('Versioned Key Vault secret URI of the previous INTERNAL_CRON_SECRET while a rotation is rolled out; empty otherwise.')
param previousInternalCronSecretUri string = ''

@description('Versioned Key Vault secret URI of the previous INTERNAL_ADMIN_SECRET while a rotation is rolled out; empty otherwise.')
param previousInternalAdminSecretUri string = ''

@description('Key Vault secret URI of ALERT_WEBHOOK_URL; empty for no alerts.')
param alertWebhookUrlSecretUri string

@description('Directory (tenant) id whose Entra ID access tokens the internal endpoints accept; empty for the shared secrets only.')
param authEntraTenantId string = ''

@description('Application (client) id and/or App ID URI of the app registration the tokens are issued for; empty for the shared secrets only.')
param authEntraAudience string = ''

@description('Azure OpenAI endpoint (https://<resource>.openai.azure.com/); empty for the offline interpreter.')
param azureOpenAiEndpoint string

@description('Azure OpenAI deployment name; empty for the offline interpreter.')
param azureOpenAiDeployment string

@description('Requests-per-minute quota of the Azure OpenAI deployment (LLM_REQUESTS_PER_MINUTE); 0 for no limit.')
@minValue(0)
param llmRequestsPerMinute int

@description('Tokens-per-minute quota of the Azure OpenAI deployment (LLM_TOKENS_PER_MINUTE); 0 for no limit.')
@minValue(0)
param llmTokensPerMinute int

@description('Upper bound of instances the plan scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
      '${migratorIdentityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      ipSecurityRestrictions: [
        for (cidr, index) in allowedIpCidrs: {
          name: 'allowed-ip-range-${index}'
          ipAddress: cidr
          action: 'Allow'
          priority: 100 + index
        }
      ]
      ipSecurityRestrictionsDefaultAction: empty(allowedIpCidrs) ? 'Allow' : 'Deny'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// No publishing with user names and passwords: azd deploys with an Entra token (OneDeploy to the SCM endpoint).
resource scmBasicPublishingCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicPublishingCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

// Flex Consumption sets the worker runtime and the host version itself (functionAppConfig.runtime): it rejects
// FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION as app settings. Settings and defaults: docs/runs.md (Configuration).
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: {
    // Host: identity-based storage and telemetry; the identity of DefaultAzureCredential in the app.
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    // The queue trigger's connection (named WEEKLY_QUEUE): the work queue on the same account, with the identity.
    WEEKLY_QUEUE__queueServiceUri: queueEndpoint
    WEEKLY_QUEUE__credential: 'managedidentity'
    WEEKLY_QUEUE__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    AZURE_CLIENT_ID: identityClientId

    // Storage: Postgres with Entra tokens of the identity, Blob storage and the work queue through their service URIs.
    POSTGRES_CONNECTION_STRING: 'Host=${postgresHost};Port=5432;Database=${postgresDatabase};Username=${identityName};SSL Mode=VerifyFull;Maximum Pool Size=${postgresPoolSize}'
    POSTGRES_USE_ENTRA_AUTH: 'true'
    // The migrator: a second identity, used only to migrate at start-up and for db-maintenance (docs/deploy.md, step 3).
    POSTGRES_MIGRATOR_CONNECTION_STRING: 'Host=${postgresHost};Port=5432;Database=${postgresDatabase};Username=${migratorIdentityName};SSL Mode=VerifyFull;Maximum Pool Size=${postgresMigratorPoolSize}'
    POSTGRES_MIGRATOR_MANAGED_IDENTITY_CLIENT_ID: migratorIdentityClientId
    BLOB_CONNECTION_STRING: ''
    BLOB_SERVICE_URI: blobEndpoint
    QUEUE_SERVICE_URI: queueEndpoint
    BLOB_LOCK_CONTAINER: lockContainerName
    BLOB_ATTRIBUTION_CONTAINER: attributionContainerName
    MIGRATE_SOURCE_TABLES: 'false'

    // Secrets: Key Vault references resolved with keyVaultReferenceIdentity.
    INTERNAL_CRON_SECRET: '@Microsoft.KeyVault(SecretUri=${internalCronSecretUri})'
    INTERNAL_ADMIN_SECRET: '@Microsoft.KeyVault(SecretUri=${internalAdminSecretUri})'
    INTERNAL_CRON_SECRET_PREVIOUS: empty(previousInternalCronSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${previousInternalCronSecretUri})'
    INTERNAL_ADMIN_SECRET_PREVIOUS: empty(previousInternalAdminSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${previousInternalAdminSecretUri})'

    // Entra ID access tokens (app roles Weekly.Run, Weekly.Admin) besides the secrets, when tenant and audience are given.
    AUTH_ENTRA_TENANT_ID: authEntraTenantId
    AUTH_ENTRA_AUDIENCE: authEntraAudience
    AUTH_ENTRA_AUTHORITY: environment().authentication.loginEndpoint

    // Weekly run, lock and health budgets.
    WEEKLY_SCHEDULE: '0 0 2 * * 1'
    WEEKLY_TEAM_PARALLELISM: '3'
    WEEKLY_TEAM_TIMEOUT_SECONDS: '5'
    WEEKLY_HTTP_DEADLINE_SECONDS: '200'
    WEEKLY_RUN_DEADLINE_SECONDS: '21600'
    WEEKLY_DEADLINE: '08:00:00'
    WEEKLY_AUDIT_FINISH_RETRY_SECONDS: '30'
    WEEKLY_LOCK_TTL_SECONDS: '28800'
    WEEKLY_LOCK_LEASE_SECONDS: '60'
    REAPER_GRACE_SECONDS: '90'
    WEEKLY_WORK_QUEUE: 'weekly-work'
    WEEKLY_WORK_ITEM_TEAMS: '10'
    WEEKLY_WORK_MAX_ATTEMPTS: '5'
    WEEKLY_WORK_ITEM_BUDGET_SECONDS: '230'
    WEEKLY_WORKERS: '2'
    WEEKLY_WORK_VISIBILITY_SECONDS: '90'
    WEEKLY_WORK_RENEW_SECONDS: '30'
    WEEKLY_WORK_POLL_SECONDS: '1'
    WEEKLY_WORK_OUTBOX_RESEND_SECONDS: '10'
    WEEKLY_RUN_HEARTBEAT_SECONDS: '30'
    WEEKLY_RUN_STALL_SECONDS: '900'
    WEEKLY_HTTP_WAIT_SECONDS: '25'
    HEALTH_CHECK_TIMEOUT_SECONDS: '2'
    HEALTH_ABANDONED_WINDOW_SECONDS: '604800'
    HEALTH_QUEUE_AGE_DEGRADED_SECONDS: '900'

    // Stage 3: Azure OpenAI with the identity (no key) when an endpoint is given, else the offline interpreter.
    AZURE_OPENAI_ENDPOINT: azureOpenAiEndpoint
    AZURE_OPENAI_DEPLOYMENT: azureOpenAiDeployment
    AZURE_OPENAI_API_KEY: ''
    LLM_TIMEOUT_SECONDS: '30'
    LLM_MAX_ATTEMPTS: '3'
    LLM_MAX_RETRY_AFTER_SECONDS: '30'
    LLM_RETRY_DELAY_SECONDS: '2'
    LLM_MAX_CONCURRENCY: '3'
    LLM_FALLBACK_TO_OFFLINE: 'false'
    // The deployment's quota, shared by every instance through the quota governor (state in Postgres).
    LLM_REQUESTS_PER_MINUTE: string(llmRequestsPerMinute)
    LLM_TOKENS_PER_MINUTE: string(llmTokensPerMinute)
    LLM_MAX_OUTPUT_TOKENS: '1500'

    // Alerts.
    ALERT_WEBHOOK_URL: empty(alertWebhookUrlSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${alertWebhookUrlSecretUri})'
    ALERT_WEBHOOK_FORMAT: 'slack'
    ALERT_WEBHOOK_TIMEOUT_SECONDS: '5'
    ALERT_WEBHOOK_MAX_ATTEMPTS: '3'

    // Scheduled jobs and retention.
    JOBS_MAX_CONCURRENCY: '2'
    JOBS_SHUTDOWN_GRACE_SECONDS: '30'
    JOBS_CANCEL_POLL_SECONDS: '5'
    JOB_RUN_REAPER_SCHEDULE: '0 */5 * * * *'
    JOB_MISSED_RUN_WATCH_SCHEDULE: '0 0 * * * *'
    JOB_RETENTION_CLEANUP_SCHEDULE: '0 0 3 * * *'
    JOB_DB_MAINTENANCE_SCHEDULE: '0 0 4 * * 0'
    RETENTION_RUNS_DAYS: '180'
    RETENTION_JOB_EXECUTIONS_DAYS: '30'
    RETENTION_INACTIVE_INTERPRETATIONS_DAYS: '180'
  }
}

@description('Name of the function app.')
output name string = app.name

@description('Default host name of the function app.')
output defaultHostName string = app.properties.defaultHostName
