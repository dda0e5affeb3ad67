using System.CommandLine;
using System.CommandLine.Parsing;
using SmtpCodec.Sink;

namespace SmtpCodec.Cli.Verbs;

/// <summary>
/// <c>--fault SPEC</c> (repeatable) and <c>--fault-seed N</c>: the sink's fault injection on the command line,
/// shared by the verbs that start a sink (<c>sink</c>, and <c>blast</c> with its embedded sink).
/// SPEC is <c>COMMAND:KIND=VALUE</c>, read by <see cref="SmtpSinkFault.TryParse"/>.
/// </summary>
internal sealed class FaultOptions
{
    private FaultOptions(Option<SmtpSinkFault[]> faults, Option<int?> seed)
    {
        Faults = faults;
        Seed = seed;
    }

    public Option<SmtpSinkFault[]> Faults { get; }

    public Option<int?> Seed { get; }

    public static FaultOptions Create()
    {
        var faults = new Option<SmtpSinkFault[]>("--fault")
        {
            Description = "Inject a fault, COMMAND:KIND=VALUE (repeatable). COMMAND: a verb (MAIL, RCPT, DATA, BDAT, EHLO, AUTH, ...), "
                + "EOD (end of data) or * (any). KIND: 4xx, 5xx, 421 (reply then close) or drop (close, no reply), VALUE a probability 0..1; "
                + "or delay, VALUE milliseconds. E.g. --fault RCPT:4xx=0.05 --fault EOD:drop=0.01 --fault '*:delay=5'.",
            HelpName = "SPEC",
            Arity = ArgumentArity.ZeroOrMore,
            CustomParser = Parse,
        };
        var seed = new Option<int?>("--fault-seed")
        {
            Description = "Seed the fault draws: each connection draws from its own generator seeded with N and its number, so runs repeat.",
            HelpName = "N",
        };
        return new FaultOptions(faults, seed);
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Faults);
        command.Options.Add(Seed);
    }

    public SmtpSinkOptions ApplyTo(SmtpSinkOptions options, ParseResult parsed) => options with
    {
        Faults = parsed.GetValue(Faults) ?? [],
        FaultSeed = parsed.GetValue(Seed),
    };

    private static SmtpSinkFault[] Parse(ArgumentResult result)
    {
        var faults = new List<SmtpSinkFault>();
        foreach (Token token in result.Tokens)
        {
            if (SmtpSinkFault.TryParse(token.Value, out SmtpSinkFault? fault, out string? error))
            {
                faults.Add(fault);
            }
            else
            {
                // The sink's error starts "fault 'SPEC': ..."; the option takes the word's place, named once.
                result.AddError(error.StartsWith("fault '", StringComparison.Ordinal) ? $"--fault {error["fault ".Length..]}." : $"--fault: {error}.");
            }
        }

        return [.. faults];
    }
}
