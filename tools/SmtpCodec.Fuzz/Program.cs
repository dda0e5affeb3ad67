using SmtpCodec.Fuzz.Replay;

namespace SmtpCodec.Fuzz;

/// <summary>The fuzz harness's command line; see <see cref="Usage"/>.</summary>
internal static class Program
{
    private const string Usage = """
        usage:
          SmtpCodec.Fuzz TARGET                                    run under afl-fuzz (fuzz.sh does it), input on stdin
          SmtpCodec.Fuzz replay TARGET|all [--random N] [--seed S] [FILE|DIR ...]
                                                                   run the corpus (or the files given) and N mutations of each
                                                                   through the target without AFL; exit 1 on the first breach
          SmtpCodec.Fuzz list                                      the targets
        """;

    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.Error.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        if (args[0] == "list")
        {
            foreach (IFuzzTarget target in FuzzTargets.All)
            {
                Console.WriteLine($"{target.Name,-16} {target.Description}");
            }

            return 0;
        }

        if (args[0] == "replay")
        {
            return ReplayCommand.Run(args[1..]);
        }

        IFuzzTarget? fuzzed = FuzzTargets.Find(args[0]);
        if (fuzzed is null || args.Length != 1)
        {
            Console.Error.WriteLine($"unknown target or extra arguments: {string.Join(' ', args)} (targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))})");
            return 2;
        }

        // SharpFuzz runs the target in persistent mode: one process runs input after input, each read from the file
        // afl-fuzz rewrites, and an invariant breach is an exception that it reports to afl-fuzz as a crash. By
        // default the inputs run in this very process (twice the executions per second of the isolated mode, which
        // hands every input to a child process it restarts after a crash); SMTPCODEC_FUZZ_ISOLATE=1 chooses the
        // isolated mode, which also survives what kills a process (a stack overflow, a hang past afl-fuzz's -t).
        using var memory = new MemoryStream();
        Action<Stream> run = stream =>
        {
            memory.SetLength(0);
            stream.CopyTo(memory);
            fuzzed.Run(memory.GetBuffer().AsSpan(0, (int)memory.Length));
        };
        if (Environment.GetEnvironmentVariable("SMTPCODEC_FUZZ_ISOLATE") == "1")
        {
            SharpFuzz.Fuzzer.OutOfProcess.Run(run);
        }
        else
        {
            SharpFuzz.Fuzzer.Run(run);
        }

        return 0;
    }
}
