using System.Text.RegularExpressions;

namespace InPsyq.Weekly.Tests.Deployment;

/// <summary>
/// The repository is self-contained: its reference documentation lives in <c>docs/</c>, so no file points at a
/// specification outside the repository, and every relative link of the documentation leads to a file in it.
/// </summary>
public sealed partial class RepositoryReferencesTests
{
    // Spelled in parts so that this file does not contain what it looks for.
    private static readonly string[] s_outsideReferences = [".." + "/shared", "shared" + "/spec"];

    // Build output, package caches and git's own data, none of it part of the repository's files.
    private static readonly HashSet<string> s_skippedNames = new(StringComparer.Ordinal) { ".git", "bin", "obj", "node_modules" };

    [Fact]
    public void No_file_refers_to_a_specification_outside_the_repository()
    {
        var files = RepositoryFilesBelow(RepositoryFiles.Root).ToList();

        var offenders = files
            .Where(IsText)
            .SelectMany(file => File.ReadLines(file)
                .Select((line, index) => (Line: line, Number: index + 1))
                .Where(entry => s_outsideReferences.Any(reference => entry.Line.Contains(reference, StringComparison.Ordinal)))
                .Select(entry => $"{Relative(file)}:{entry.Number}: {entry.Line.Trim()}"))
            .ToList();

        Assert.Contains(RepositoryFiles.PathOf("README.md"), files);
        Assert.True(offenders.Count == 0, "Refers to a specification outside the repository (point it at docs/ instead):\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void Every_relative_link_of_the_readme_and_the_docs_points_at_a_file_of_the_repository()
    {
        var documents = RepositoryFilesBelow(RepositoryFiles.PathOf("docs"))
            .Where(file => file.EndsWith(".md", StringComparison.Ordinal))
            .Prepend(RepositoryFiles.PathOf("README.md"))
            .ToList();
        var links = documents.SelectMany(document => RelativeLinks(document).Select(target => (Document: document, Target: target))).ToList();

        var broken = links
            .Where(link => !Resolves(link.Document, link.Target))
            .Select(link => $"{Relative(link.Document)}: ({link.Target})")
            .ToList();

        Assert.Contains(links, link => link.Target == "docs/runs.md");
        Assert.True(broken.Count == 0, "Relative links to nothing in the repository:\n" + string.Join('\n', broken));
    }

    private static IEnumerable<string> RepositoryFilesBelow(string directory)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            if (s_skippedNames.Contains(Path.GetFileName(entry)))
            {
                continue;
            }

            if (Directory.Exists(entry))
            {
                foreach (var file in RepositoryFilesBelow(entry))
                {
                    yield return file;
                }
            }
            else
            {
                yield return entry;
            }
        }
    }

    /// <summary>A file without a NUL byte in its first 8 KiB is read as text.</summary>
    private static bool IsText(string file)
    {
        using var stream = File.OpenRead(file);
        var head = new byte[8192];
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Array.IndexOf(head, (byte)0, 0, read) < 0;
    }

    /// <summary>
    /// The targets of the document's inline links and images that are neither absolute URLs nor in-page anchors,
    /// without their anchor; code blocks and code spans are not read, since they hold code, not links.
    /// </summary>
    private static IEnumerable<string> RelativeLinks(string document)
    {
        var prose = CodeSpan().Replace(FencedCodeBlock().Replace(File.ReadAllText(document), string.Empty), string.Empty);
        return InlineLink().Matches(prose)
            .Select(match => match.Groups["target"].Value)
            .Where(target => !UrlScheme().IsMatch(target) && !target.StartsWith('#') && !target.StartsWith("//", StringComparison.Ordinal))
            .Select(target => target.Split('#', 2)[0]);
    }

    private static bool Resolves(string document, string target)
    {
        var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(document)!, Uri.UnescapeDataString(target)));
        var root = Path.TrimEndingDirectorySeparator(RepositoryFiles.Root);
        return (path == root || path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            && (File.Exists(path) || Directory.Exists(path));
    }

    private static string Relative(string file) => Path.GetRelativePath(RepositoryFiles.Root, file);

    [GeneratedRegex(@"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedCodeBlock();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\]\(\s*<?(?<target>[^)\s>]+)>?(?:\s+""[^""]*"")?\s*\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex UrlScheme();
}
