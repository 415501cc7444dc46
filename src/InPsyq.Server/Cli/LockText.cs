using System.Globalization;
using System.Text;
using InPsyq.Weekly.Locking;

namespace InPsyq.Server.Cli;

/// <summary>The weekly locks for a person at a terminal.</summary>
internal static class LockText
{
    public static string Render(IReadOnlyList<LockEntry> entries)
    {
        if (entries.Count == 0)
        {
            return "No lock blobs.";
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"Lock",-50} {"State",-7} {"Run",-36} {"Mode",-19} {"Scope",-45} Expires at");
        foreach (var entry in entries)
        {
            var state = entry.Leased ? "held" : "free";
            var holder = entry.Holder;
            var run = holder?.RunId.ToString() ?? (entry.Leased ? "(not yet known)" : "-");
            var expiry = holder is null ? "-" : holder.ExpiresAt.ToString("O", CultureInfo.InvariantCulture) + (entry.PastExpiry ? " (past its TTL)" : string.Empty);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{entry.Name,-50} {state,-7} {run,-36} {holder?.Mode ?? "-",-19} {holder?.Scope ?? "-",-45} {expiry}");
        }

        return text.ToString().TrimEnd();
    }

    public static string Describe(LockRelease release) => release switch
    {
        { Record: { } record } => string.Create(CultureInfo.InvariantCulture,
            $"released the lease of run {record.HolderRunId}{(record.Forced ? ", forced within its TTL," : string.Empty)} by {record.ReleasedBy} at {record.ReleasedAt:O} (a run that takes the lock now fences a live holder out)"),
        { Outcome: LockReleaseOutcome.AlreadyFree } => "already free",
        { Outcome: LockReleaseOutcome.NotFound } => "no such lock",
        { Outcome: LockReleaseOutcome.RunMismatch } => "refused: held (or last held) by another run than --run-id",
        { Outcome: LockReleaseOutcome.NotExpired } => "refused: the holder is within its TTL; use --force to release it anyway",
        { Outcome: LockReleaseOutcome.ChangedHands } => "not released: the lock changed hands after it was read; nothing was broken (see `locks list`)",
        _ => release.Outcome.ToString(),
    };
}
