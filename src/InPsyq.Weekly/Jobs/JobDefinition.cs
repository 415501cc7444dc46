using InPsyq.Weekly.Primitives;

namespace InPsyq.Weekly.Jobs;

/// <summary>The work of a job. Return null only by mistake: the runner records that as a failure.</summary>
public delegate Task<JobOutcome?> JobHandler(JobContext context, CancellationToken cancellationToken);

/// <summary>
/// Whether a job is owed one run when the standalone host starts (an Azure timer catches up on its own): what was
/// missed, for the log, or null when nothing was.
/// </summary>
public delegate Task<string?> JobCatchUp(CancellationToken cancellationToken);

/// <summary>What a handler knows about the attempt it runs. <see cref="Trigger"/> is the attempt's (a retry's is <see cref="JobTrigger.Retry"/>).</summary>
public sealed record JobContext(string JobId, Guid ExecutionId, int Attempt, JobTrigger Trigger)
{
    /// <summary>What started the execution (<see cref="JobTrigger.Schedule"/> or <see cref="JobTrigger.Manual"/>), the same for each of its attempts.</summary>
    public JobTrigger StartedBy { get; init; } = Trigger;

    /// <summary>Who asked for a manual execution with an Entra ID token (null for a secret, the schedule or the CLI).</summary>
    public CallerIdentity? Caller { get; init; }
}

/// <summary>
/// A job: a unique id, a schedule (see <see cref="JobSchedule"/>), a handler, and how long one attempt may take and
/// how it is retried. Jobs that also run as an Azure Functions timer set <see cref="HasAzureTimer"/>, which limits
/// their schedule to the 6-field NCRONTAB form the Functions host parses.
/// </summary>
public sealed record JobDefinition(string Id, string Name, string Schedule, JobHandler Handler)
{
    /// <summary>The budget of an attempt when a definition sets none: every attempt is bounded.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromHours(1);

    public TimeSpan? Timeout { get; init; }

    public RetryPolicy? Retry { get; init; }

    public bool Enabled { get; init; } = true;

    public bool HasAzureTimer { get; init; }

    /// <summary>Asked once when the standalone scheduler starts; a missed occurrence is run at once.</summary>
    public JobCatchUp? CatchUp { get; init; }

    public TimeSpan EffectiveTimeout => Timeout ?? DefaultTimeout;

    public RetryPolicy EffectiveRetry => Retry ?? RetryPolicy.None;
}

/// <summary>
/// A job class registered with <c>AddJob&lt;TJob&gt;()</c>. <see cref="Define"/> builds its definition from settings
/// alone and binds the given handler, which resolves the job only when it runs; so a job may itself depend on the
/// <see cref="JobRegistry"/> (the reaper needs every job's timeout).
/// </summary>
public interface IJob
{
    static abstract JobDefinition Define(IServiceProvider services, JobHandler handler);

    Task<JobOutcome?> RunAsync(JobContext context, CancellationToken cancellationToken);
}
