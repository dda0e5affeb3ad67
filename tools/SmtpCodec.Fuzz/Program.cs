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

        // SharpFuzz's fork server runs the target in a child process it restarts after a crash or a hang;
        // an invariant breach is an exception, which it reports to afl-fuzz as a crash.
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            fuzzed.Run(memory.GetBuffer().AsSpan(0, (int)memory.Length));
        });
        return 0;
    }
}
