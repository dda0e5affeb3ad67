using System.CommandLine;
using SmtpCodec.Cli.Verbs;

namespace SmtpCodec.Cli;

/// <summary>The <c>smtpcodec</c> command: one verb per file under Verbs/.</summary>
public static class Program
{
    /// <summary>Exit code for a command line that does not parse (docs/architecture.md, "The smtpcodec command").</summary>
    public const int UsageExitCode = 2;

    public static int Main(string[] args)
    {
        var root = new RootCommand("smtpcodec: SMTP client codec tools (demo, replies, sink, stuff, unstuff, ...)");
        foreach (Command verb in Verbs())
        {
            root.Subcommands.Add(verb);
        }

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
            {
                Console.Error.WriteLine($"smtpcodec: {Where(error)}{error.Message}");
            }

            Console.Error.WriteLine("Try 'smtpcodec --help'.");
            return UsageExitCode;
        }

        // On SIGINT or SIGTERM a verb gets this long to stop before the process ends: the sink closes its
        // sessions and writes --stats then (System.CommandLine's default of 2 s could cut that short).
        return parsed.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
    }

    /// <summary>The option an error is about ("--chunking: "), so that a bad value names what was wrong.</summary>
    private static string Where(System.CommandLine.Parsing.ParseError error)
    {
        System.CommandLine.Parsing.SymbolResult? symbol = error.SymbolResult;
        while (symbol is not null and not System.CommandLine.Parsing.OptionResult)
        {
            symbol = symbol.Parent;
        }

        return symbol is System.CommandLine.Parsing.OptionResult option ? $"{option.Option.Name}: " : "";
    }

    private static IEnumerable<Command> Verbs()
    {
        yield return DemoVerb.Create();
        yield return SendVerb.Create();
        yield return BlastVerb.Create();
        yield return RepliesVerb.Create();
        yield return SinkVerb.Create();
        yield return StuffVerb.Create();
        yield return UnstuffVerb.Create();
    }
}
