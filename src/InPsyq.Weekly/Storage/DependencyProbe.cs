using Azure;
using InPsyq.Weekly.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InPsyq.Weekly.Storage;

/// <summary>A dependency the run cannot start without.</summary>
public enum Dependency
{
    Postgres,
    BlobStorage,
}

/// <summary>
/// Checks, before a run takes its lock, that Postgres and Blob storage answer, each within a short timeout, so an
/// outage is a fast 503 with nothing written rather than a run that fails half-way. A database whose schema is behind
/// this build (migrations pending) counts as Postgres unavailable: a runtime does not run on a schema it was not built for.
/// </summary>
public sealed class DependencyProbe(SchemaVersion schema, BlobStore blobs, IOptions<HealthOptions> options)
{
    /// <summary>The first dependency that does not answer, or null when both do.</summary>
    public async Task<Dependency?> FindUnavailableAsync(CancellationToken cancellationToken)
    {
        if (!await AnswersAsync(PingPostgresAsync, cancellationToken))
        {
            return Dependency.Postgres;
        }

        return await AnswersAsync(PingBlobAsync, cancellationToken) ? null : Dependency.BlobStorage;
    }

    /// <summary>
    /// The dependency whose failure <paramref name="exception"/> reports, or null for any other error: what a failure
    /// may say outside the log, where the exception's own message (hosts, addresses, SQL) never goes. Postgres refusing
    /// a statement (a missing table, a violated constraint) is not Postgres being unavailable.
    /// </summary>
    public static Dependency? FailedDependencyOf(Exception exception) => exception switch
    {
        PostgresException { IsTransient: false } => null,
        NpgsqlException => Dependency.Postgres,
        RequestFailedException => Dependency.BlobStorage,
        // The Azure SDK's retries give up with every attempt's failure (e.g. a connection refused three times).
        AggregateException { InnerExceptions: [var first, ..] } aggregate when aggregate.InnerExceptions.All(inner => FailedDependencyOf(inner) is not null) =>
            FailedDependencyOf(first),
        _ => null,
    };

    public static string NameOf(Dependency dependency) => dependency switch
    {
        Dependency.Postgres => "postgres",
        Dependency.BlobStorage => "blob_storage",
        _ => throw new ArgumentOutOfRangeException(nameof(dependency)),
    };

    private async Task<bool> AnswersAsync(Func<CancellationToken, Task<bool>> ping, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.CheckTimeout);
        try
        {
            return await ping(timeout.Token);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<bool> PingPostgresAsync(CancellationToken cancellationToken) => (await schema.ReadAsync(cancellationToken)).IsCurrent;

    private async Task<bool> PingBlobAsync(CancellationToken cancellationToken)
    {
        await blobs.Locks.GetPropertiesAsync(cancellationToken: cancellationToken);
        return true;
    }
}
