using System.Diagnostics;
using InPsyq.Weekly.Hosting;
using InPsyq.Weekly.Locking;
using InPsyq.Weekly.Weeks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace InPsyq.Weekly.Tests.Infrastructure;

/// <summary>
/// A separate process that takes a weekly lock through the runner library and keeps renewing it until it is
/// killed: the "holder process" of the SIGKILL takeover test. Started as <c>dotnet exec InPsyq.Weekly.Tests.dll hold-lock …</c>.
/// </summary>
public static class LockHolderProcess
{
    public const string Verb = "hold-lock";
    public const string ReadyLine = "LOCK ACQUIRED";

    public static async Task<int> Main(string[] args)
    {
        if (args is not [Verb, var container, var week, var org, var runId])
        {
            return 64;
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BLOB_LOCK_CONTAINER"] = container,
            ["WEEKLY_LOCK_LEASE_SECONDS"] = "15",
            ["WEEKLY_LOCK_RENEW_SECONDS"] = "1",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddInPsyqWeekly(configuration).BuildServiceProvider();
        var now = DateTimeOffset.UtcNow;
        var holder = new LockHolder(Guid.Parse(runId), "cli", "FULL", $"org:{org}", now, now.AddMinutes(10), $"holder/{Environment.ProcessId}");
        var key = LockKey.ForOrg(IsoWeek.FromMonday(DateOnly.Parse(week, System.Globalization.CultureInfo.InvariantCulture)), Guid.Parse(org));
        var attempt = await services.GetRequiredService<WeeklyLockManager>().TryAcquireAsync(key, holder, CancellationToken.None);
        if (!attempt.Acquired)
        {
            return 3;
        }

        Console.WriteLine(ReadyLine);
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    /// <summary>Starts the holder and waits until it says it holds the lock.</summary>
    public static async Task<Process> StartAsync(IntegrationFixture fixture, IsoWeek week, Guid org, Guid runId)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "exec", typeof(LockHolderProcess).Assembly.Location, Verb, fixture.LockContainer, week.ToString(), org.ToString(), runId.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["POSTGRES_CONNECTION_STRING"] = fixture.PostgresConnectionString;
        start.Environment["BLOB_CONNECTION_STRING"] = TestEnvironment.BlobConnectionString;
        var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line == ReadyLine)
            {
                return process;
            }
        }

        throw new InvalidOperationException($"The lock holder exited without the lock: {await process.StandardError.ReadToEndAsync()}");
    }
}
