using System.Diagnostics;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>Runs a tool in the repository root and collects its exit code and output, killing it on time-out.</summary>
internal static class RepositoryProcess
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeLimit)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryFiles.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        using var timeout = new CancellationTokenSource(timeLimit);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} ran longer than {timeLimit}.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
