using System.Globalization;
using Azure.Storage.Blobs.Models;
using InPsyq.Weekly.Audit;
using InPsyq.Weekly.Configuration;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace InPsyq.Weekly.Health;

/// <summary>
/// <c>locks</c>: degraded when a lock blob is still leased after the <c>expires_at</c> in its metadata (its holder
/// outlived the hard TTL), or when a run was marked abandoned within <c>HEALTH_ABANDONED_WINDOW_SECONDS</c>.
/// </summary>
public sealed class LocksHealthCheck(BlobStore blobs, WeeklyRunStore runs, IOptions<HealthOptions> options, TimeProvider time) : IHealthCheck
{
    private const int NamesShown = 3;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var pastTtl = new List<string>();
        await foreach (var blob in blobs.Locks.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }, cancellationToken))
        {
            if (blob.Properties.LeaseState == LeaseState.Leased && LockHolder.FromMetadata(blob.Metadata) is { } holder && holder.ExpiresAt < now)
            {
                pastTtl.Add(blob.Name);
            }
        }

        var abandoned = await runs.CountAbandonedSinceAsync(now - options.Value.AbandonedWindow, cancellationToken);

        var issues = (pastTtl.Count + abandoned).ToString(CultureInfo.InvariantCulture);
        if (pastTtl.Count == 0 && abandoned == 0)
        {
            return HealthCheckResult.Healthy("No lock is held past its TTL and no run was abandoned recently.", data: HealthObservation.Of(issues, "issues"));
        }

        var shown = string.Join(", ", pastTtl.Take(NamesShown)) + (pastTtl.Count > NamesShown ? ", …" : string.Empty);
        return HealthCheckResult.Degraded(
            $"{pastTtl.Count} lock(s) held past their TTL{(pastTtl.Count > 0 ? $" ({shown})" : string.Empty)}; "
            + $"{abandoned} run(s) abandoned in the last {options.Value.AbandonedWindow.TotalDays:0.#} days.",
            data: HealthObservation.Of(issues, "issues"));
    }
}
