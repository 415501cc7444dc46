using System.Text.RegularExpressions;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// Installs on a fresh machine: its package lists are empty, so an <c>apt-get install</c> without an
/// <c>apt-get update</c> before it fails ("Unable to locate package"). Every script installs through
/// <c>apt_install</c> (<c>scripts/lib/common.sh</c>), which refreshes the lists once per script run.
/// </summary>
public sealed partial class PackageInstallTests
{
    private static readonly string[] s_scriptFolders = ["scripts", "bench", ".ci", "tools"];

    [Fact]
    public void No_script_calls_apt_get_except_the_one_helper_that_updates_first()
    {
        var offenders = s_scriptFolders
            .Select(RepositoryFiles.PathOf)
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Where(file => !file.Contains("node_modules", StringComparison.Ordinal) && IsShellScript(file))
            .Where(file => !file.EndsWith(Path.Combine("scripts", "lib", "common.sh"), StringComparison.Ordinal))
            .SelectMany(file => File.ReadLines(file)
                .Select((line, index) => (line, index))
                .Where(entry => AptGetCommand().IsMatch(StripComment(entry.line)))
                .Select(entry => $"{Path.GetRelativePath(RepositoryFiles.Root, file)}:{entry.index + 1}: {entry.line.Trim()}"))
            .ToList();

        Assert.True(offenders.Count == 0, "apt-get outside apt_install (scripts/lib/common.sh):\n" + string.Join('\n', offenders));
    }

    [Fact]
    public async Task Apt_install_updates_the_package_lists_once_before_the_first_install_of_a_script_run()
    {
        var fakeBin = Directory.CreateTempSubdirectory("inpsyq-fake-apt-");
        try
        {
            var calls = Path.Combine(fakeBin.FullName, "calls");
            var fakeAptGet = Path.Combine(fakeBin.FullName, "apt-get");
            await File.WriteAllTextAsync(fakeAptGet, $"#!/usr/bin/env bash\nfor a in \"$@\"; do case \"$a\" in update|install) echo \"$a\";; esac; done >> '{calls}'\n");

            var (exitCode, _, stderr) = await RepositoryProcess.RunAsync(
                "bash",
                ["-c", "chmod +x \"$1/apt-get\"; export PATH=\"$1:$PATH\"; source scripts/lib/common.sh; apt_install \"$1/log\" jq && apt_install \"$1/log\" chromium",
                    "apt-test", fakeBin.FullName],
                TimeSpan.FromSeconds(30));

            Assert.True(exitCode == 0, stderr);
            Assert.Equal(["update", "install", "install"], await File.ReadAllLinesAsync(calls));
        }
        finally
        {
            fakeBin.Delete(recursive: true);
        }
    }

    private static bool IsShellScript(string file) =>
        file.EndsWith(".sh", StringComparison.Ordinal) || (Path.GetExtension(file).Length == 0 && File.ReadLines(file).FirstOrDefault()?.StartsWith("#!", StringComparison.Ordinal) == true);

    private static string StripComment(string line) => line.TrimStart().StartsWith('#') ? string.Empty : line;

    [GeneratedRegex(@"\bapt-get\b")]
    private static partial Regex AptGetCommand();
}
