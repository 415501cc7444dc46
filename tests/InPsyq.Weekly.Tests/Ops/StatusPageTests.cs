using System.Diagnostics;
using System.Net;
using InPsyq.Weekly.Tests.Infrastructure;
using InPsyq.Weekly.Weeks;

namespace InPsyq.Weekly.Tests.Ops;

/// <summary>
/// The status page: served for <c>Accept: text/html</c> or <c>?format=html</c>, self-contained, every value encoded,
/// and rendered by headless Chromium (installed by <c>scripts/test.sh</c>) into a readable screenshot.
/// </summary>
public sealed class StatusPageTests(StatusPageTests.Fixture fixture) : IClassFixture<StatusPageTests.Fixture>
{
    private const string Chromium = "/usr/bin/chromium";
    private const string HostileName = "<script>alert('x')</script> & Co";

    public sealed class Fixture : IntegrationFixture
    {
        public RunningServer Server { get; private set; } = null!;

        public List<(Guid RunId, IsoWeek Week)> Runs { get; } = [];

        /// <summary>A run in progress with work items (see <see cref="WorkRows.AddRunInProgressAsync"/>).</summary>
        public RunInProgress Running { get; private set; } = null!;

        /// <summary>A stage-3 run in progress with LLM calls in the last minute (see <see cref="WorkRows.AddInterpretationInProgressAsync"/>).</summary>
        public RunInProgress Interpreting { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Server = await StartServerAsync();
            var rows = new RunRows(DataSource);
            var (platform, payments, hostile) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
            var lastWeek = IsoWeek.Containing(DateTimeOffset.UtcNow).AddWeeks(-1);
            (string Status, int WeeksBack, long DurationMs, string[] Platform, string[] Payments)[] history =
            [
                ("completed", 3, 42_000, ["succeeded", "succeeded", "succeeded"], ["succeeded", "skipped", "succeeded"]),
                ("partial", 2, 95_000, ["succeeded", "succeeded", "succeeded"], ["succeeded", "failed", "not_started"]),
                ("failed", 1, 12_000, ["failed", "not_started", "not_started"], ["timed_out", "not_started", "not_started"]),
                ("completed", 1, 61_000, ["succeeded", "succeeded", "succeeded"], ["skipped", "skipped", "skipped"]),
                ("locked", 0, 300, [], []),
                ("completed", 0, 38_000, ["succeeded", "succeeded", "succeeded"], ["succeeded", "succeeded", "succeeded"]),
            ];
            for (var i = 0; i < history.Length; i++)
            {
                var (status, weeksBack, duration, platformStages, paymentsStages) = history[i];
                var week = lastWeek.AddWeeks(-weeksBack);
                var details = platformStages.Length == 0
                    ? "{}"
                    : RunRows.Details((platform, "Platform", platformStages), (payments, "Payments", paymentsStages), (hostile, HostileName, platformStages));
                var runId = await rows.AddAsync(status, week.EndUtc.AddHours(2 + i), week, durationMs: duration, details: details);
                Runs.Add((runId, week));
            }

            Running = await WorkRows.AddRunInProgressAsync(DataSource, DateTimeOffset.UtcNow.AddMinutes(-10), lastWeek);
            Runs.Add((Running.RunId, lastWeek));
            Interpreting = await WorkRows.AddInterpretationInProgressAsync(DataSource, DateTimeOffset.UtcNow.AddMinutes(-2), lastWeek.AddWeeks(-1));
            Runs.Add((Interpreting.RunId, lastWeek.AddWeeks(-1)));
        }
    }

    [Fact]
    public async Task Html_is_served_for_a_browser_and_for_format_html_and_lists_the_runs_encoded_and_self_contained()
    {
        var html = await GetHtmlAsync("/api/internal/diag/weekly-runs", acceptHtml: true);
        var viaQuery = await GetHtmlAsync("/api/internal/diag/weekly-runs?format=html", acceptHtml: false);

        Assert.StartsWith("<!doctype html>", viaQuery, StringComparison.Ordinal);
        Assert.All(fixture.Runs, run =>
        {
            Assert.Contains(run.RunId.ToString(), html, StringComparison.Ordinal);
            Assert.Contains(run.Week.Label, html, StringComparison.Ordinal);
        });
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("Teams × weeks", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_running_run_shows_its_progress_and_the_run_table_shows_items_hosts_and_throughput()
    {
        var html = await GetHtmlAsync("/api/internal/diag/weekly-runs", acceptHtml: true);

        var progress = html[html.IndexOf("<h2>In progress</h2>", StringComparison.Ordinal)..html.IndexOf("<h2>Timeline</h2>", StringComparison.Ordinal)];
        Assert.Contains(fixture.Running.RunId.ToString(), progress, StringComparison.Ordinal);
        Assert.Contains("width:50%\"></span></span>items 1/2 final", progress, StringComparison.Ordinal);
        Assert.Contains("teams 1/3 final", progress, StringComparison.Ordinal);
        Assert.Contains("2 host(s) · 0.1 teams/min</div>", progress, StringComparison.Ordinal);
        var interpreting = progress[progress.IndexOf(fixture.Interpreting.RunId.ToString(), StringComparison.Ordinal)..];
        Assert.Matches(@"1 host\(s\) · [0-9.]+ teams/min · LLM in the last minute: 3 requests/min, 4,000 tokens/min</div>", interpreting);
        Assert.DoesNotContain(fixture.Runs[0].RunId.ToString(), progress, StringComparison.Ordinal);

        var table = html[html.IndexOf("<h2>Runs</h2>", StringComparison.Ordinal)..];
        Assert.Contains("<th>Items final</th><th>Hosts</th><th>Throughput</th>", table, StringComparison.Ordinal);
        var runningRow = RowOf(table, fixture.Running.RunId);
        Assert.Contains("<td class=\"num\">1/2</td><td class=\"num\">2</td>", runningRow, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">0.1 teams/min</td>", runningRow, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">–</td><td class=\"num\">–</td>", RowOf(table, fixture.Runs[0].RunId), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headless_Chromium_renders_a_screenshot_of_the_page()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing; scripts/test.sh installs it (apt-get install -y chromium).");
        var html = await GetHtmlAsync("/api/internal/diag/weekly-runs", acceptHtml: true);
        var directory = Directory.CreateTempSubdirectory("inpsyq-status-page-");
        try
        {
            // From a file, offline: anything the page tried to fetch would be missing from the screenshot.
            var page = Path.Combine(directory.FullName, "status.html");
            var screenshot = Path.Combine(directory.FullName, "status.png");
            await File.WriteAllTextAsync(page, html);

            var (exitCode, output) = await RunChromiumAsync(directory.FullName, screenshot, new Uri(page).AbsoluteUri);

            Assert.True(File.Exists(screenshot), $"No screenshot (exit code {exitCode}): {output}");
            var bytes = await File.ReadAllBytesAsync(screenshot);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
            Assert.True(bytes.Length > 20_000, $"The screenshot is only {bytes.Length} bytes: probably blank.");
            if (Environment.GetEnvironmentVariable("INPSYQ_KEEP_SCREENSHOT") is { Length: > 0 } keep)
            {
                File.Copy(screenshot, keep, overwrite: true);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>The run table's row of <paramref name="runId"/>.</summary>
    private static string RowOf(string table, Guid runId)
    {
        var end = table.IndexOf(runId.ToString(), StringComparison.Ordinal);
        return table[table.LastIndexOf("<tr>", end, StringComparison.Ordinal)..end];
    }

    private static async Task<(int ExitCode, string Output)> RunChromiumAsync(string profile, string screenshot, string url)
    {
        var start = new ProcessStartInfo(Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", $"--user-data-dir={Path.Combine(profile, "profile")}", $"--screenshot={screenshot}",
                     "--window-size=1280,900", "--virtual-time-budget=3000", url,
                 })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cap = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cap.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("Chromium did not finish within 60 s.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private async Task<string> GetHtmlAsync(string path, bool acceptHtml)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-ADMIN-SECRET", TestEnvironment.AdminSecret);
        if (acceptHtml)
        {
            request.Headers.Add("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        }

        var response = await fixture.Server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return await response.Content.ReadAsStringAsync();
    }
}
