using System.Collections.Concurrent;
using InPsyq.Weekly.Pipeline;
using Npgsql;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>One team-stage call as the scripted stage saw it.</summary>
public sealed record StageCall(Guid RunId, Guid OrgId, Guid TeamId, PipelineStage Stage, DateTimeOffset Started, DateTimeOffset Ended);

/// <summary>
/// A pipeline stage for orchestration tests: runs a per-team script (delay, failure, ignoring cancellation), then
/// writes one row into <c>scripted_writes</c> through a fenced transaction, as a real stage writes its unit.
/// </summary>
public sealed class ScriptedStage(PipelineStage stage) : IPipelineStage
{
    private int _running;
    private int _maxRunning;

    public PipelineStage Stage { get; } = stage;

    /// <summary>What each team does before writing; the default does nothing.</summary>
    public Func<TeamRef, CancellationToken, Task> Script { get; set; } = (_, _) => Task.CompletedTask;

    public ConcurrentQueue<StageCall> Calls { get; } = new();

    public int MaxConcurrency => Volatile.Read(ref _maxRunning);

    public static async Task CreateTableAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""
            create table if not exists scripted_writes (
                run_id uuid not null, team_id uuid not null, stage text not null, written_at timestamptz not null default clock_timestamp())
            """);
        await command.ExecuteNonQueryAsync();
    }

    public Task<IOrgStage> BeginOrgAsync(OrgStageContext context, CancellationToken cancellationToken) =>
        Task.FromResult<IOrgStage>(new OrgStage(this, context));

    private sealed class OrgStage(ScriptedStage owner, OrgStageContext context) : IOrgStage
    {
        public async Task<StageOutcome> RunTeamAsync(TeamRef team, CancellationToken cancellationToken)
        {
            var started = DateTimeOffset.UtcNow;
            var running = Interlocked.Increment(ref owner._running);
            InterlockedMax(ref owner._maxRunning, running);
            try
            {
                await owner.Script(team, cancellationToken);
                var insert = new NpgsqlBatchCommand("insert into scripted_writes (run_id, team_id, stage) values ($1, $2, $3)");
                insert.Parameters.Add(new() { Value = context.RunId });
                insert.Parameters.Add(new() { Value = team.TeamId });
                insert.Parameters.Add(new() { Value = owner.Stage.ToWire() });
                await context.Fence.WriteAsync([insert], cancellationToken);
                return StageOutcome.Written();
            }
            finally
            {
                Interlocked.Decrement(ref owner._running);
                owner.Calls.Enqueue(new StageCall(context.RunId, context.Org.OrgId, team.TeamId, owner.Stage, started, DateTimeOffset.UtcNow));
            }
        }

        public Task<StagePlan> PlanTeamAsync(TeamRef team, CancellationToken cancellationToken) =>
            Task.FromResult(context.Force ? StagePlan.Run("forced") : StagePlan.Run("input_changed"));

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }
}
