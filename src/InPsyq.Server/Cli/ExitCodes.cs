using InPsyq.Weekly.Jobs;
using InPsyq.Weekly.Primitives;
using InPsyq.Weekly.Runs;

namespace InPsyq.Server.Cli;

/// <summary>The CLI's exit codes, stable for scripts.</summary>
public static class ExitCodes
{
    public const int Completed = 0;
    public const int Failed = 1;
    public const int Partial = 2;
    public const int Locked = 3;
    public const int DependencyUnavailable = 4;
    public const int InvalidInput = 64;

    /// <summary>Ctrl-C or SIGTERM stopped the verb (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    public static int For(RunStatus status) => status switch
    {
        RunStatus.Completed or RunStatus.Planned => Completed,
        RunStatus.Partial => Partial,
        RunStatus.Locked => Locked,
        _ => Failed,
    };

    /// <summary>A refusal by its kind: unavailable → 4, locked → 3, no running job to cancel → 1, any other → 64.</summary>
    public static int For(Refusal refusal) => refusal switch
    {
        { Kind: RefusalKind.Unavailable } => DependencyUnavailable,
        LockedRefusal => Locked,
        _ when refusal == JobErrors.NotRunning => Failed,
        _ => InvalidInput,
    };

    /// <summary>Several runs (a backfill): the most severe code, not the highest number, so a partial week cannot hide a failed one.</summary>
    public static int Worst(IEnumerable<int> codes) => codes.DefaultIfEmpty(Completed).MaxBy(Severity);

    private static int Severity(int code) => code switch
    {
        Completed => 0,
        Partial => 1,
        Locked => 2,
        Failed => 3,
        DependencyUnavailable => 4,
        _ => 5,
    };

    /// <summary>A job: succeeded or skipped → 0, refused because it is running → 3 (as a locked run), otherwise 1.</summary>
    public static int For(JobResult result) => result switch
    {
        { WasAlreadyRunning: true } => Locked,
        { Status: JobStatus.Succeeded or JobStatus.Skipped } => Completed,
        _ => Failed,
    };
}
