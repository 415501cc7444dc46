using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace InPsyq.Weekly.Tests.Reliability;

/// <summary>
/// The real standalone host as a child process (<c>dotnet exec inpsyq-weekly.dll serve</c> on a free loopback port),
/// configured through environment variables like a deployment. Disposing kills it.
/// </summary>
internal sealed class ChildHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private ChildHost(Process process, Uri address)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(90) };
    }

    public HttpClient Client { get; }

    public static async Task<ChildHost> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "inpsyq-weekly.dll"), "serve", "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var host = new ChildHost(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
        host._process.OutputDataReceived += (_, e) => host.Keep(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.Keep(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        await host.WaitUntilLiveAsync();
        return host;
    }

    /// <summary>SIGKILL: no shutdown hook, no lease release, no audit finish.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        Client.Dispose();
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

        throw new InvalidOperationException($"The host did not come up:\n{string.Join('\n', Output())}");
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
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

    private string[] Output()
    {
        lock (_output)
        {
            return [.. _output];
        }
    }
}
