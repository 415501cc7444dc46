using Npgsql;

namespace InPsyq.Weekly.Storage;

/// <summary>
/// The connection of the login that owns the schema: it applies the migrations and runs <c>db-maintenance</c>
/// (<c>ANALYZE</c> needs the owner). With <c>POSTGRES_MIGRATOR_CONNECTION_STRING</c> it is a pool of its own, and a host
/// migrates at start-up; without it the runtime connection stands in (a single login, e.g. locally) and a host does not
/// migrate at start-up: only the <c>migrate</c> verb does.
/// </summary>
public sealed class MigratorDataSource(NpgsqlDataSource? migrator, NpgsqlDataSource runtime) : IAsyncDisposable
{
    /// <summary>Whether a migrator connection of its own is configured.</summary>
    public bool IsConfigured => migrator is not null;

    /// <summary>The migrator's pool, or the runtime's when none is configured.</summary>
    public NpgsqlDataSource DataSource => migrator ?? runtime;

    public ValueTask DisposeAsync() => migrator?.DisposeAsync() ?? ValueTask.CompletedTask;
}
