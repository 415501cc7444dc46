using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using InPsyq.Server;
using InPsyq.Weekly.Hosting;
using InPsyq.Weekly.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>
/// Per test class: a database cloned from the migrated template, its own blob containers, and factories for the
/// runner library and for the standalone host on a loopback port, all with short durations.
/// </summary>
public class IntegrationFixture : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..10];

    public string PostgresConnectionString { get; private set; } = string.Empty;

    public string LockContainer => $"locks-{_suffix}";

    public string AttributionContainer => $"attribution-{_suffix}";

    /// <summary>This class's own work queue (and its <c>-next</c> and <c>-poison</c> queues).</summary>
    public string WorkQueue => $"work-{_suffix}";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public BlobServiceClient BlobService { get; } = new(TestEnvironment.BlobConnectionString);

    /// <summary>Short durations so lock and deadline behaviour shows within seconds (blob leases are ≥ 15 s).</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["POSTGRES_CONNECTION_STRING"] = PostgresConnectionString,
        ["BLOB_CONNECTION_STRING"] = TestEnvironment.BlobConnectionString,
        ["BLOB_LOCK_CONTAINER"] = LockContainer,
        ["BLOB_ATTRIBUTION_CONTAINER"] = AttributionContainer,
        ["WEEKLY_WORK_QUEUE"] = WorkQueue,
        ["MIGRATE_SOURCE_TABLES"] = "true",
        ["INTERNAL_CRON_SECRET"] = TestEnvironment.CronSecret,
        ["INTERNAL_ADMIN_SECRET"] = TestEnvironment.AdminSecret,
        ["WEEKLY_LOCK_LEASE_SECONDS"] = "15",
        ["WEEKLY_LOCK_TTL_SECONDS"] = "1000",
        ["WEEKLY_HTTP_DEADLINE_SECONDS"] = "30",
        ["WEEKLY_RUN_DEADLINE_SECONDS"] = "30",
        ["WEEKLY_AUDIT_FINISH_RETRY_SECONDS"] = "2",
        ["REAPER_GRACE_SECONDS"] = "1",
        ["WEEKLY_WORK_POLL_SECONDS"] = "0.05",
        ["SCHEDULER_ENABLED"] = "false",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    public virtual async Task InitializeAsync()
    {
        PostgresConnectionString = await TestDatabases.CreateAsync();
        DataSource = NpgsqlDataSource.Create(PostgresConnectionString);
        await BlobService.GetBlobContainerClient(LockContainer).CreateIfNotExistsAsync();
        await BlobService.GetBlobContainerClient(AttributionContainer).CreateIfNotExistsAsync();
        var queues = new QueueServiceClient(TestEnvironment.BlobConnectionString);
        await queues.GetQueueClient(WorkQueue).CreateIfNotExistsAsync();
        await queues.GetQueueClient(WorkQueue + WorkQueueClient.NextSuffix).CreateIfNotExistsAsync();
        await queues.GetQueueClient(WorkQueue + WorkQueueClient.PoisonSuffix).CreateIfNotExistsAsync();
        await queues.GetQueueClient(WorkQueue + WorkQueueClient.NextSuffix + WorkQueueClient.PoisonSuffix).CreateIfNotExistsAsync();
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        await DataSource.DisposeAsync();
        await BlobService.GetBlobContainerClient(LockContainer).DeleteIfExistsAsync();
        await BlobService.GetBlobContainerClient(AttributionContainer).DeleteIfExistsAsync();
        var queues = new QueueServiceClient(TestEnvironment.BlobConnectionString);
        await queues.GetQueueClient(WorkQueue).DeleteIfExistsAsync();
        await queues.GetQueueClient(WorkQueue + WorkQueueClient.NextSuffix).DeleteIfExistsAsync();
        await queues.GetQueueClient(WorkQueue + WorkQueueClient.PoisonSuffix).DeleteIfExistsAsync();
        await queues.GetQueueClient(WorkQueue + WorkQueueClient.NextSuffix + WorkQueueClient.PoisonSuffix).DeleteIfExistsAsync();
        await TestDatabases.DropAsync(PostgresConnectionString);
    }

    /// <summary>The runner library composed as a host would, with optional setting overrides and extra services.</summary>
    public ServiceProvider CreateServices(
        IReadOnlyDictionary<string, string?>? overrides = null, Action<IServiceCollection>? configure = null, ILoggerProvider? logs = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Merge(overrides)).Build();
        var services = new ServiceCollection()
            .AddLogging(builder => { if (logs is not null) { builder.AddProvider(logs); } })
            .AddSingleton<IConfiguration>(configuration)
            .AddInPsyqWeekly(configuration);
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _owned.Add(provider);
        return provider;
    }

    /// <summary>Starts the standalone host on a free loopback port and returns a client for it.</summary>
    public async Task<RunningServer> StartServerAsync(
        IReadOnlyDictionary<string, string?>? overrides = null, Action<IServiceCollection>? configure = null, ILoggerProvider? logs = null)
    {
        var app = ServerApp.Build(["--urls", Loopback.AnyPort], Merge(overrides), services =>
        {
            configure?.Invoke(services);
            if (logs is not null)
            {
                services.AddLogging(builder => builder.AddProvider(logs));
            }
        });
        await app.StartAsync();
        var server = new RunningServer(app, new HttpClient { BaseAddress = Loopback.AddressOf(app), Timeout = TimeSpan.FromSeconds(60) });
        _owned.Add(server);
        return server;
    }

    public async Task<long> CountAsync(string table)
    {
        await using var command = DataSource.CreateCommand($"select count(*) from {table}");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The first column of the first row of <paramref name="sql"/>, with <paramref name="values"/> as <c>$1..$n</c>.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] values)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task<List<string>> ListBlobsAsync(string container)
    {
        var names = new List<string>();
        await foreach (var blob in BlobService.GetBlobContainerClient(container).GetBlobsAsync())
        {
            names.Add(blob.Name);
        }

        return names;
    }

    private Dictionary<string, string?> Merge(IReadOnlyDictionary<string, string?>? overrides)
    {
        var settings = Settings;
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }
}

/// <summary>A started standalone host and an HTTP client pointed at it.</summary>
public sealed class RunningServer(WebApplication app, HttpClient client) : IAsyncDisposable
{
    public WebApplication App { get; } = app;

    public HttpClient Client { get; } = client;

    public IServiceProvider Services => App.Services;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>An <see cref="IntegrationFixture"/> whose database also has the <c>scripted_writes</c> table of <see cref="ScriptedStage"/>.</summary>
public class ScriptedStageFixture : IntegrationFixture
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await ScriptedStage.CreateTableAsync(DataSource);
    }
}
