using System.Globalization;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>
/// Options of <c>e2e</c>. Every count and every wait is bounded: a run stops submitting after
/// <see cref="RunSeconds"/>, a warm-up after <see cref="WarmupSeconds"/>.
/// </summary>
internal sealed record EndToEndOptions
{
    /// <summary>Messages per measured run without reply delay (the same for every K).</summary>
    public int Messages { get; init; } = 20_000;

    /// <summary>Messages per connection per measured run with a reply delay (K x this in all).</summary>
    public int DelayedMessagesPerConnection { get; init; } = 200;

    /// <summary>Messages sent over the open connections before the clock starts.</summary>
    public int Warmup { get; init; } = 2000;

    /// <summary>A warm-up stops after this long even short of its count (MailKit at 20 ms sends ~16 messages/s per connection).</summary>
    public double WarmupSeconds { get; init; } = 5;

    /// <summary>A measured run stops submitting after this long; its figures then cover what completed.</summary>
    public double RunSeconds { get; init; } = 60;

    /// <summary>Alternating runs per contender; the medians are reported.</summary>
    public int Runs { get; init; } = 3;

    /// <summary>Connection counts (K).</summary>
    public int[] Connections { get; init; } = [1, 8];

    /// <summary>Reply delays of the embedded sink, in milliseconds.</summary>
    public int[] ReplyDelaysMs { get; init; } = [0, 20];

    /// <summary>The whole message's size in bytes, headers included (the size of the run at hand; see <see cref="Sizes"/>).</summary>
    public int Size { get; init; } = 2200;

    /// <summary>
    /// Message sizes, each a set of scenarios. Sizes above <see cref="LargeSize"/> run without reply delay only, with
    /// <see cref="LargeBytesPerRun"/> bytes of messages per run (bounded count) and a warm-up of a quarter of that.
    /// </summary>
    public int[] Sizes { get; init; } = [2200, 100 * 1024, 1024 * 1024];

    /// <summary>Sizes up to this are "small": the message counts of <see cref="Messages"/>.</summary>
    public const int LargeSize = 16 * 1024;

    /// <summary>Bytes of messages per measured run for a large size (at least 10 messages, at most <see cref="Messages"/>).</summary>
    public long LargeBytesPerRun { get; init; } = 256L * 1024 * 1024;

    /// <summary>Messages per run at <paramref name="size"/> without delay.</summary>
    public int MessagesFor(int size) => size <= LargeSize ? Messages : (int)Math.Clamp(LargeBytesPerRun / size, 10, Messages);

    /// <summary>Warm-up messages at <paramref name="size"/>.</summary>
    public int WarmupFor(int size) => size <= LargeSize ? Warmup : Math.Min(Warmup, MessagesFor(size) / 4);

    /// <summary>At most this many messages per run against the private smtpd (it writes each message to its queue).</summary>
    public int SmtpdMessages { get; init; } = 2000;

    /// <summary>Run against a private Postfix smtpd (CHUNKING, PIPELINING; every message discarded); opt-in (needs root).</summary>
    public bool Smtpd { get; init; }

    /// <summary>Run against the embedded sink (in a process of its own), at each of <see cref="ReplyDelaysMs"/>.</summary>
    public bool Embedded { get; init; } = true;

    /// <summary>Run against Postfix's smtp-sink with smtp-source as a third contender.</summary>
    public bool Postfix { get; init; } = true;

    /// <summary>The smtp-sink program (found on PATH or in /usr/sbin when null).</summary>
    public string? SmtpSinkPath { get; init; }

    /// <summary>The smtp-source program (found on PATH or in /usr/sbin when null).</summary>
    public string? SmtpSourcePath { get; init; }

    /// <summary>Where the JSON results go; none when null.</summary>
    public string? Output { get; init; }

    /// <summary>The contenders to run, by name (all when null).</summary>
    public string[]? Contenders { get; init; }

    /// <summary>
    /// Which scenarios also run every contender in the no-spin agent (<see cref="NoSpinAgent"/>: the thread pool's
    /// spin-waiting off), each run right after the same contender's run here: the small sizes (CPU per message is
    /// compared there), all, or none.
    /// </summary>
    public NoSpinScope NoSpinRuns { get; init; } = NoSpinScope.Small;

    /// <summary>Whether scenarios of <paramref name="size"/> run in the no-spin agent too.</summary>
    public bool RunsWithoutSpinning(int size) => NoSpinRuns == NoSpinScope.All || (NoSpinRuns == NoSpinScope.Small && size <= LargeSize);

    /// <summary>A dry run: tiny counts, embedded sink only, one run each; checks that everything works.</summary>
    public bool Dry { get; init; }

    public const string Usage = """
        e2e [--messages N] [--delayed-messages-per-connection N] [--warmup N] [--warmup-seconds S]
            [--run-seconds S] [--runs R] [--connections 1,8] [--reply-delays-ms 0,20] [--size BYTES]
            [--sizes 2200,102400,1048576] [--large-megabytes-per-run MB] [--smtpd-messages N]
            [--targets embedded,smtp-sink,smtpd] [--smtp-sink PATH] [--smtp-source PATH] [--out FILE.json] [--dry]
            [--contenders "NAME;NAME"]   (names as printed, e.g. "MailKit SmtpClient;SmtpSender (MimeMessage)")
            [--no-spin-runs small|all|none]   (also run each contender with the thread pool's spinning off; default small)
        """;

    public static EndToEndOptions Parse(string[] args)
    {
        var options = new EndToEndOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.\n{Usage}");
            int Count(int min) =>
                int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min
                    ? n
                    : throw new ArgumentException($"{name} takes a whole number of at least {min}.");
            double Seconds() =>
                double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && s <= 3600
                    ? s
                    : throw new ArgumentException($"{name} takes seconds between 0 and 3600.");
            int[] List(int min) =>
                Value().Split(',').Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min
                    ? n
                    : throw new ArgumentException($"{name} takes a comma-separated list of whole numbers of at least {min}.")).ToArray();

            options = name switch
            {
                "--messages" => options with { Messages = Count(1) },
                "--delayed-messages-per-connection" => options with { DelayedMessagesPerConnection = Count(1) },
                "--warmup" => options with { Warmup = Count(0) },
                "--warmup-seconds" => options with { WarmupSeconds = Seconds() },
                "--run-seconds" => options with { RunSeconds = Seconds() },
                "--runs" => options with { Runs = Count(1) },
                "--connections" => options with { Connections = List(1) },
                "--reply-delays-ms" => options with { ReplyDelaysMs = List(0) },
                "--size" => options with { Sizes = [Count(200)] },
                "--sizes" => options with { Sizes = List(200) },
                "--smtpd-messages" => options with { SmtpdMessages = Count(1) },
                "--large-megabytes-per-run" => options with { LargeBytesPerRun = Count(1) * 1024L * 1024 },
                "--targets" => Targets(options, Value()),
                "--smtp-sink" => options with { SmtpSinkPath = Value() },
                "--smtp-source" => options with { SmtpSourcePath = Value() },
                "--out" => options with { Output = Value() },
                "--no-spin-runs" => options with
                {
                    NoSpinRuns = Value() switch
                    {
                        "small" => NoSpinScope.Small,
                        "all" => NoSpinScope.All,
                        "none" => NoSpinScope.None,
                        string other => throw new ArgumentException($"--no-spin-runs takes small, all or none, not '{other}'."),
                    },
                },
                "--contenders" => options with { Contenders = Value().Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) },
                "--dry" => options with
                {
                    Dry = true, Messages = 200, DelayedMessagesPerConnection = 5, Warmup = 20, WarmupSeconds = 2,
                    RunSeconds = 10, Runs = 1, Connections = [1, 2], Postfix = false, Smtpd = false,
                    Sizes = [2200, 100 * 1024], LargeBytesPerRun = 2 * 1024 * 1024,
                },
                _ => throw new ArgumentException($"Unknown option '{name}'.\n{Usage}"),
            };
        }

        return options;
    }

    private static EndToEndOptions Targets(EndToEndOptions options, string list)
    {
        string[] targets = list.Split(',');
        string? unknown = targets.FirstOrDefault(t => t is not ("embedded" or "smtp-sink" or "smtpd"));
        return unknown is null
            ? options with { Embedded = targets.Contains("embedded"), Postfix = targets.Contains("smtp-sink"), Smtpd = targets.Contains("smtpd") }
            : throw new ArgumentException($"--targets takes embedded, smtp-sink and/or smtpd, not '{unknown}'.");
    }
}

/// <summary>The scenarios that also run in the no-spin agent (see <see cref="EndToEndOptions.NoSpinRuns"/>).</summary>
internal enum NoSpinScope
{
    /// <summary>None.</summary>
    None,

    /// <summary>Message sizes up to <see cref="EndToEndOptions.LargeSize"/>.</summary>
    Small,

    /// <summary>Every scenario.</summary>
    All,
}
