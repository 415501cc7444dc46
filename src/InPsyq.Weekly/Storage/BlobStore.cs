using Azure.Core;
using Azure.Storage.Blobs;
using InPsyq.Weekly.Configuration;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Storage;

/// <summary>The pipeline's blob containers: weekly locks and attribution documents.</summary>
public sealed class BlobStore
{
    public BlobStore(IOptions<StorageOptions> storage, IOptions<LockOptions> locks, TokenCredential credential)
    {
        var options = new BlobClientOptions();
        // Fail fast: the run endpoint answers 503 when storage is down instead of hanging in SDK retries.
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(20);

        var service = storage.Value.BlobConnectionString is { Length: > 0 } connectionString
            ? new BlobServiceClient(connectionString, options)
            : new BlobServiceClient(storage.Value.BlobServiceUri, credential, options);
        Locks = service.GetBlobContainerClient(locks.Value.Container);
        Attribution = service.GetBlobContainerClient(storage.Value.AttributionContainer);
    }

    public BlobContainerClient Locks { get; }

    public BlobContainerClient Attribution { get; }

    public async Task EnsureContainersAsync(CancellationToken cancellationToken)
    {
        await Locks.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Attribution.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }
}
