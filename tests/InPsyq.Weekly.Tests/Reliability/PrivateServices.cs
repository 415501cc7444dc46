using System.Diagnostics;
using System.Net.Sockets;
using InPsyq.Weekly.Tests.Infrastructure;
using Npgsql;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// A PostgreSQL cluster of this test alone, on a free loopback port, that the test may stop and start (never the shared
/// one). PostgreSQL refuses to run as root, so initdb and pg_ctl run as the <c>postgres</c> user, on a data directory
/// under /var/tmp that it owns. Uses <c>INPSYQ_PG_BIN_DIR</c> from the env file of scripts/services.sh.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _directory;
    private readonly int _port;

    private PrivatePostgres(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        _port = port;
    }

    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = _port,
        Username = "postgres",
        Database = "postgres",
        Timeout = 3,
        CommandTimeout = 10,
        MaxPoolSize = 30,
    }.ConnectionString;

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Environment.GetEnvironmentVariable("INPSYQ_PG_BIN_DIR")
            ?? throw new InvalidOperationException("INPSYQ_PG_BIN_DIR is not set: source the env file of scripts/services.sh.");
        var directory = Path.Combine("/var/tmp", $"inpsyq-reliability-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        await RunAsync("chown", "postgres", directory);
        var postgres = new PrivatePostgres(bin, directory, ChildHost.FreePort());
        await RunAsync("runuser", "-u", "postgres", "--", Path.Combine(bin, "initdb"), "-D", Path.Combine(directory, "data"),
            "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        await postgres.StartAgainAsync();
        return postgres;
    }

    /// <summary>Starts (or restarts) the cluster and waits until it accepts connections.</summary>
    public Task StartAgainAsync() => RunAsync("runuser", "-u", "postgres", "--", Path.Combine(_bin, "pg_ctl"), "start", "-w", "-t", "30",
        "-D", Path.Combine(_directory, "data"), "-l", Path.Combine(_directory, "log"),
        "-o", $"-p {_port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off");

    /// <summary>
    /// Stops the cluster at once, like a crash: every connection is cut. (Commits survive because they are written to
    /// the WAL before they return; that is why this cluster keeps <c>synchronous_commit</c> on.)
    /// </summary>
    public Task StopAsync() => RunAsync("runuser", "-u", "postgres", "--", Path.Combine(_bin, "pg_ctl"), "stop", "-w", "-m", "immediate",
        "-D", Path.Combine(_directory, "data"));

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped by the test.
        }

        Directory.Delete(_directory, recursive: true);
    }

    internal static async Task RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}

/// <summary>An Azurite (blob only) of this test alone, on a free loopback port, that the test may stop. Uses <c>INPSYQ_AZURITE_BIN</c>.</summary>
internal sealed class PrivateAzurite : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _directory;

    private PrivateAzurite(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        // Blob storage of its own; the work queue stays on the shared Azurite.
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
            + TestEnvironment.BlobConnectionString.Split(';').Single(part => part.StartsWith("QueueEndpoint=", StringComparison.Ordinal)) + ";";
    }

    public string ConnectionString { get; }

    public static async Task<PrivateAzurite> StartAsync()
    {
        var bin = Environment.GetEnvironmentVariable("INPSYQ_AZURITE_BIN")
            ?? throw new InvalidOperationException("INPSYQ_AZURITE_BIN is not set: source the env file of scripts/services.sh.");
        var directory = Directory.CreateTempSubdirectory("inpsyq-reliability-azurite-").FullName;
        var port = ChildHost.FreePort();
        var start = new ProcessStartInfo(bin) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--location", directory, "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent" })
        {
            start.ArgumentList.Add(argument);
        }

        var azurite = new PrivateAzurite(Process.Start(start)!, directory, port);
        var waited = Stopwatch.StartNew();
        while (!await AcceptsAsync(port))
        {
            if (azurite._process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"Azurite did not start: {await azurite._process.StandardError.ReadToEndAsync()}");
            }

            await Task.Delay(100);
        }

        return azurite;
    }

    public void Stop()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
