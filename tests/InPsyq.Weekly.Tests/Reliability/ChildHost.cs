using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// The real standalone host as a child process (<c>dotnet exec inpsyq-weekly.dll &lt;verb&gt;</c>), configured through
/// environment variables like a deployment: <see cref="ServeAsync"/> serves HTTP on a free loopback port and is
/// returned once it is live; <see cref="Start"/> starts any other verb (<c>worker</c>, <c>run-weekly</c>, …) and returns
/// at once. Its work items carry <see cref="HostName"/>. Disposing kills it if it still runs.
/// </summary>
internal sealed class ChildHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient? _client;
    private readonly List<string> _standardOutput = [];
    private readonly Queue<string> _output = new();

    private ChildHost(Process process, Uri? address)
    {
        _process = process;
        _client = address is null ? null : new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(90) };
        _process.OutputDataReceived += (_, e) => Keep(e.Data, standardOutput: true);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data, standardOutput: false);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>A client for the HTTP endpoints of a <c>serve</c> child.</summary>
    public HttpClient Client => _client ?? throw new InvalidOperationException("Only a serve child listens on HTTP.");

    public int ProcessId => _process.Id;

    /// <summary>How the child names itself in <c>weekly_work_items.host</c> and lock metadata (machine/pid, see HostIdentity).</summary>
    public string HostName => $"{Environment.MachineName}/{_process.Id}";

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>serve</c> on a free loopback port and waits until <c>/api/health/live</c> answers.</summary>
    public static async Task<ChildHost> ServeAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var host = new ChildHost(Launch(settings, ["serve", "--urls", address.ToString().TrimEnd('/')]), address);
        await host.WaitUntilLiveAsync();
        return host;
    }

    /// <summary>Starts a verb with its arguments (e.g. <c>worker</c>, or <c>run-weekly --no-wait</c>) and returns at once.</summary>
    public static ChildHost Start(IReadOnlyDictionary<string, string?> settings, params string[] arguments) => new(Launch(settings, arguments), address: null);

    /// <summary>SIGKILL: no shutdown hook, no lease release, no audit finish.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>Sends a signal (<c>TERM</c>, <c>INT</c>) the way an operator or a process manager would, with <c>kill</c>.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>The exit code, once the child has exited within <paramref name="within"/> (the test fails otherwise).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The child did not exit within {within.TotalSeconds:0} s:\n{Describe()}");
        }

        // The parameterless wait also drains the redirected output.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Every line the child wrote to its standard output.</summary>
    public IReadOnlyList<string> StandardOutput()
    {
        lock (_standardOutput)
        {
            return [.. _standardOutput];
        }
    }

    /// <summary>The last lines of both streams, for failure messages.</summary>
    public string Describe()
    {
        lock (_output)
        {
            return string.Join('\n', _output);
        }
    }

    public ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Process Launch(IReadOnlyDictionary<string, string?> settings, IEnumerable<string> arguments)
    {
        // env resets SIGINT and SIGQUIT to their defaults: a child of a shell without job control inherits them
        // ignored, and .NET then leaves them ignored, so Ctrl-C (kill -INT) would not reach the host.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--default-signal=INT,QUIT", "dotnet", "exec", Path.Combine(AppContext.BaseDirectory, "inpsyq-weekly.dll") }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return Process.Start(start)!;
    }

    private async Task WaitUntilLiveAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(45))
        {
            if (_process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await Client.GetAsync("/api/health/live");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"The host did not come up:\n{Describe()}");
    }

    private void Keep(string? line, bool standardOutput)
    {
        if (line is null)
        {
            return;
        }

        if (standardOutput)
        {
            lock (_standardOutput)
            {
                _standardOutput.Add(line);
            }
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > 50)
            {
                _output.Dequeue();
            }
        }
    }
}
