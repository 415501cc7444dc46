// Log Analytics workspace and workspace-based Application Insights. Local (key) ingestion is disabled: the app
// sends telemetry with its managed identity (Monitoring Metrics Publisher, see roles.bicep). The Kusto queries of
// infra/queries (docs/queries.md) become saved queries of the workspace, category "InPsyq Weekly".

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Azure region of both resources.')
param location string

@description('Tags applied to both resources.')
param tags object

@description('Days Log Analytics keeps logs (the platform\'s log rotation).')
@minValue(30)
@maxValue(730)
param retentionInDays int

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

// The query text lives in infra/queries/*.kql only; docs/queries.md shows the same text (a deployment test compares them).
var savedQueries = [
  {
    name: 'inpsyq-failed-runs-this-month'
    displayName: 'Failed runs this month'
    query: loadTextContent('../queries/failed-runs-this-month.kql')
  }
  {
    name: 'inpsyq-slowest-teams'
    displayName: 'Slowest teams (last 28 days)'
    query: loadTextContent('../queries/slowest-teams.kql')
  }
  {
    name: 'inpsyq-llm-tokens-per-week'
    displayName: 'LLM tokens per week'
    query: loadTextContent('../queries/llm-tokens-per-week.kql')
  }
  {
    name: 'inpsyq-run-duration-trend'
    displayName: 'Run duration trend'
    query: loadTextContent('../queries/run-duration-trend.kql')
  }
  {
    name: 'inpsyq-failed-teams-per-week'
    displayName: 'Failed teams per week'
    query: loadTextContent('../queries/failed-teams-per-week.kql')
  }
  {
    name: 'inpsyq-throttled-calls'
    displayName: 'Throttled calls (429)'
    query: loadTextContent('../queries/throttled-calls.kql')
  }
]

resource savedSearches 'Microsoft.OperationalInsights/workspaces/savedSearches@2023-09-01' = [
  for savedQuery in savedQueries: {
    parent: logAnalytics
    name: savedQuery.name
    properties: {
      category: 'InPsyq Weekly'
      displayName: savedQuery.displayName
      query: savedQuery.query
    }
  }
]

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

@description('Name of the Application Insights component.')
output applicationInsightsName string = applicationInsights.name

@description('Connection string of Application Insights (not a secret: ingestion requires Entra authentication).')
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
