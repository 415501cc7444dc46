using Spectre.Console;

namespace InPsyq.Server.Cli;

/// <summary>The CLI's Spectre.Console console on standard output.</summary>
internal static class CliConsole
{
    /// <summary>
    /// Wider than any line the CLI prints. Spectre wraps every line at the console width, and when the output is not a
    /// terminal it cannot know one and takes 80 columns, which would break long lines in logs and for scripts.
    /// </summary>
    private const int RedirectedWidth = 4096;

    public static IAnsiConsole StandardOutput() => Create(Console.Out, Console.IsOutputRedirected);

    /// <param name="redirected">
    /// The output is a file, a pipe or CI's log rather than a terminal: plain lines, no colours, no live display.
    /// </param>
    public static IAnsiConsole Create(TextWriter output, bool redirected)
    {
        if (!redirected)
        {
            return AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = RedirectedWidth;
        return console;
    }
}
