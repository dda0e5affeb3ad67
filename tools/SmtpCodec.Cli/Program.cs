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

    /// <summary>
    /// The option an error is about ("--chunking: "), so that a bad value names what was wrong; nothing when the
    /// message names the option already (a verb's own parser does, and so do some of System.CommandLine's), so
    /// that every usage error names its option exactly once.
    /// </summary>
    private static string Where(System.CommandLine.Parsing.ParseError error)
    {
        System.CommandLine.Parsing.SymbolResult? symbol = error.SymbolResult;
        while (symbol is not null and not System.CommandLine.Parsing.OptionResult)
        {
            symbol = symbol.Parent;
        }

        if (symbol is not System.CommandLine.Parsing.OptionResult option)
        {
            return "";
        }

        return Names(option.Option, error.Message) ? "" : $"{option.Option.Name}: ";
    }

    /// <summary>Whether the message holds the option's name or an alias as a whole word (--fault, not --fault-seed).</summary>
    private static bool Names(Option option, string message)
    {
        foreach (string name in option.Aliases.Prepend(option.Name))
        {
            for (int at = message.IndexOf(name, StringComparison.Ordinal); at >= 0; at = message.IndexOf(name, at + 1, StringComparison.Ordinal))
            {
                int end = at + name.Length;
                bool startsWord = at == 0 || !IsNamePart(message[at - 1]);
                bool endsWord = end == message.Length || !IsNamePart(message[end]);
                if (startsWord && endsWord)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

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
