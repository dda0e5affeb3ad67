using System.Globalization;
using System.Text;
using SmtpCodec.Benchmarks.EndToEnd;

namespace SmtpCodec.Benchmarks.Results;

/// <summary>The end-to-end part of the report: the runner's scenarios as tables, chart bars and targets.</summary>
internal static partial class ResultsReport
{
    private const string Data = "SmtpSender (DATA)", Bdat = "SmtpSender (BDAT)", MailKit = "MailKit SmtpClient", Source = "Postfix smtp-source";

    private static void EndToEnd(StringBuilder md, List<ChartBar> bars, EndToEndReport e2e, List<(string, string, bool)> targets)
    {
        var goals = new List<(string Target, string Measured, bool Met)>();
        md.Append(CultureInfo.InvariantCulture, $"End to end: {e2e.Machine}, {e2e.Generated}, `{e2e.Command}`. ");
        md.Append(CultureInfo.InvariantCulture, $"One recipient; each contender opens its K connections and sends its warm-up ({e2e.Warmup:N0} messages for small ones, a quarter of a run for large ones) before the clock starts; ");
        md.Append(CultureInfo.InvariantCulture, $"runs alternate between contenders, figures are medians of {e2e.Runs}. ");
        md.Append("The ceiling is the raw client (pre-rendered bytes, one write per message carrying the next message's commands, replies counted): every rate is also given as a share of it. ");
        md.Append("CPU is the client process's CPU time (user + system) over the timed window per message (smtp-source: its whole process, start included); ");
        md.Append("allocated bytes are process-wide over the window (the servers run in other processes). ");
        md.Append($"\"Spinning off\" is the same run again in a second process started with `{NoSpinAgent.Variable}=0`, right before or after it: an idle .NET thread pool worker spins before it sleeps, and a client waiting for a slow server goes idle several times a message, so there most of its CPU is that spinning, whichever client it is.\n\n");

        ScenarioResult[] small = e2e.Scenarios.Where(s => SizeOf(e2e, s) <= EndToEndOptions.LargeSize).ToArray();
        ScenarioResult[] large = e2e.Scenarios.Where(s => SizeOf(e2e, s) > EndToEndOptions.LargeSize).ToArray();
        if (small.Length > 0)
        {
            md.Append(CultureInfo.InvariantCulture, $"Messages of {SizeOf(e2e, small[0]):N0} bytes:\n\n");
            md.Append("| server | reply delay | K | messages | ceiling | SmtpSender (DATA) | SmtpSender (BDAT) | MailKit SmtpClient | smtp-source | smtpcodec blast | DATA / ceiling | DATA / MailKit | BDAT / MailKit | CPU us per message (ceiling / DATA / BDAT / MailKit / smtp-source / blast) | the same, spinning off | bytes per message (DATA / BDAT / MailKit) |\n");
            md.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            foreach (ScenarioResult scenario in small)
            {
                Row(md, bars, targets, goals, scenario);
            }

            md.Append('\n');
        }

        if (large.Length > 0)
        {
            md.Append("Large messages (a bounded count per run; MB/s of message bytes; the most over the runs of: the GC heap a contender holds, after a full collection at the window's end, over the heap after one before it connected, its input message built; ");
            md.Append("the GC heap's peak, sampled every 10 ms, with + its growth over the heap at the window's start (uncollected garbage included), else its size; the resident set's peak, from the kernel's high-water mark):\n\n");
            md.Append("| server | size | K | messages | ceiling | SmtpSender (DATA) | SmtpSender (BDAT) | MailKit SmtpClient | smtp-source | DATA / MailKit | BDAT / MailKit | CPU us per message (DATA / MailKit) | heap held (DATA / BDAT / MailKit) | peak heap (DATA / BDAT / MailKit) | peak resident set (DATA / MailKit) |\n");
            md.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            foreach (ScenarioResult scenario in large)
            {
                LargeRow(md, bars, goals, scenario, SizeOf(e2e, scenario));
            }

            md.Append('\n');
            HeapGoal(e2e, goals);
        }

        MimeMessages(md, e2e);
        if (goals.Count > 0)
        {
            md.Append("Targets of issue 15 (end to end):\n\n| target | measured | met |\n| --- | --- | --- |\n");
            foreach ((string target, string measured, bool met) in goals)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {target} | {measured} | {(met ? "yes" : "**no**")} |\n");
            }

            md.Append('\n');
        }
    }

    private static int SizeOf(EndToEndReport e2e, ScenarioResult scenario) => scenario.Size > 0 ? scenario.Size : e2e.Size;

    private static ContenderResult? Find(ScenarioResult scenario, string name) => scenario.Contenders.FirstOrDefault(c => c.Name == name);

    private static void Row(StringBuilder md, List<ChartBar> bars, List<(string, string, bool)> targets, List<(string, string, bool)> goals, ScenarioResult scenario)
    {
        ContenderResult? ceiling = Find(scenario, RawCeilingContender.ContenderName), data = Find(scenario, Data), bdat = Find(scenario, Bdat);
        ContenderResult? mailKit = Find(scenario, MailKit), source = Find(scenario, Source), blast = Find(scenario, BlastContender.ContenderName);
        double? dataVsMailKit = Ratio(data, mailKit), bdatVsMailKit = Ratio(bdat, mailKit), dataVsCeiling = Ratio(data, ceiling);
        md.Append(CultureInfo.InvariantCulture,
            $"| {scenario.Target} | {scenario.ReplyDelayMs} ms | {scenario.Connections} | {scenario.Messages:N0} | {Rate(ceiling)} | {Rate(data)} | {Rate(bdat)} | {Rate(mailKit)} | {Rate(source)} | {Rate(blast)} | {Share(dataVsCeiling)} | {Times(dataVsMailKit)} | {Times(bdatVsMailKit)} | {Cpu(ceiling)} / {Cpu(data)} / {Cpu(bdat)} / {Cpu(mailKit)} / {Cpu(source)} / {Cpu(blast)} | {NoSpinCpu(ceiling, data, bdat, mailKit, source, blast)} | {PerMessage(data)} / {PerMessage(bdat)} / {PerMessage(mailKit)} |\n");

        string where = $"{scenario.Target}, {scenario.ReplyDelayMs} ms, K={scenario.Connections}";
        bool smtpSink = scenario.Target == BenchServer.SmtpSinkName, one = scenario.Connections == 1;
        if (dataVsMailKit is double a)
        {
            double? target = one && smtpSink ? 3 : one && scenario.ReplyDelayMs == 20 ? 2.7 : null;
            bars.Add(new ChartBar("End to end: SmtpSender vs MailKit SmtpClient", $"DATA, {where}", a, target));
            if (target is double t)
            {
                targets.Add(($"end to end, {where}: DATA at least {SvgChart.Format(t)}x MailKit", $"{SvgChart.Format(a)}x{BeyondCeiling(Ratio(ceiling, mailKit), t)}", a >= t));
            }
        }

        if (Ratio(data, source) is double vsSource && one && smtpSink)
        {
            bars.Add(new ChartBar("End to end: SmtpSender vs Postfix smtp-source", $"DATA, {where}", vsSource, 2));
            targets.Add(($"end to end, {where}: at least 2x smtp-source", $"{SvgChart.Format(vsSource)}x", vsSource >= 2));
        }

        if (bdatVsMailKit is double b)
        {
            double? target = one && scenario.ReplyDelayMs == 20 ? 10 : null;
            bars.Add(new ChartBar("End to end: SmtpSender vs MailKit SmtpClient", $"BDAT, {where}", b, target));
            if (target is double t)
            {
                targets.Add(($"end to end, {where}: BDAT at least {SvgChart.Format(t)}x MailKit", $"{SvgChart.Format(b)}x", b >= t));
            }
        }

        if (dataVsCeiling is double c && scenario.ReplyDelayMs == 0)
        {
            bars.Add(new ChartBar("End to end: share of the raw DATA ceiling", $"DATA, {where}", c, smtpSink && one ? 0.8 : null));
        }

        if (smtpSink && one && dataVsCeiling is double share && dataVsMailKit is double x)
        {
            goals.Add(($"{where}: SmtpSender at least 0.8 of the ceiling", Share(share), share >= 0.8));
            goals.Add(($"{where}: and either at least 3x MailKit or at least 0.9 of the ceiling", $"{SvgChart.Format(x)}x, {Share(share)}", x >= 3 || share >= 0.9));
        }

        if (smtpSink && Ratio(blast, data) is double blastShare)
        {
            goals.Add(($"{where}: `smtpcodec blast --server` within 5% of the runner's SmtpSender", $"{Share(blastShare)} ({Rate(blast)} / {Rate(data)})", blastShare >= 0.95));
        }

        if (scenario.ReplyDelayMs == 0 && scenario.Target != BenchServer.EmbeddedSinkName
            && data?.MedianCpuMicrosecondsPerMessage is double ours && mailKit?.MedianCpuMicrosecondsPerMessage is double theirs)
        {
            // Met only if met both ways where both were measured: the default runtime's figure is what an application
            // pays; the one with spinning off is the client's own work. Each with the ceiling's beside it.
            string measured = CpuShare(ours, theirs, User(data), User(mailKit), ceiling?.MedianCpuMicrosecondsPerMessage, User(ceiling));
            bool met = ours * 3 <= theirs;
            if (data.MedianNoSpinCpuMicrosecondsPerMessage is double quiet && mailKit.MedianNoSpinCpuMicrosecondsPerMessage is double theirsQuiet)
            {
                measured += "; spinning off: " + CpuShare(quiet, theirsQuiet, NoSpinUser(data), NoSpinUser(mailKit), ceiling?.MedianNoSpinCpuMicrosecondsPerMessage, NoSpinUser(ceiling));
                met &= quiet * 3 <= theirsQuiet;
            }

            goals.Add(($"{where}: SmtpSender CPU per message at most 1/3 of MailKit's", measured, met));
        }

        if (one && smtpSink && data?.MedianAllocatedBytesPerMessage is double allocated)
        {
            targets.Add(($"end to end, {where}: at most 128 bytes allocated per message", $"{allocated:N0} B (MailKit {PerMessage(mailKit)})", allocated <= 128));
        }
    }

    private static void LargeRow(StringBuilder md, List<ChartBar> bars, List<(string, string, bool)> goals, ScenarioResult scenario, int size)
    {
        ContenderResult? ceiling = Find(scenario, RawCeilingContender.ContenderName), data = Find(scenario, Data), bdat = Find(scenario, Bdat);
        ContenderResult? mailKit = Find(scenario, MailKit), source = Find(scenario, Source);
        double? dataVsMailKit = Ratio(data, mailKit), bdatVsMailKit = Ratio(bdat, mailKit);
        md.Append(CultureInfo.InvariantCulture,
            $"| {scenario.Target} | {SizeText(size)} | {scenario.Connections} | {scenario.Messages:N0} | {Mb(ceiling, size)} | {Mb(data, size)} | {Mb(bdat, size)} | {Mb(mailKit, size)} | {Mb(source, size)} | {Times(dataVsMailKit)} | {Times(bdatVsMailKit)} | {Cpu(data)} / {Cpu(mailKit)}{NoSpinPair(data, mailKit)} | {Megabytes(data?.HeldHeapBytes)} / {Megabytes(bdat?.HeldHeapBytes)} / {Megabytes(mailKit?.HeldHeapBytes)} | {Heap(data)} / {Heap(bdat)} / {Heap(mailKit)} | {Megabytes(data?.PeakWorkingSetBytes)} / {Megabytes(mailKit?.PeakWorkingSetBytes)} |\n");
        string where = $"{scenario.Target}, {SizeText(size)}, K={scenario.Connections}";
        if (dataVsMailKit is double a)
        {
            bars.Add(new ChartBar("End to end, large messages: SmtpSender vs MailKit (MB/s)", $"DATA, {where}", a, 3));
            if (scenario.Target != BenchServer.SmtpdName)
            {
                goals.Add(($"{where}: SmtpSender MB/s at least 3x MailKit's", $"{SvgChart.Format(a)}x", a >= 3));
            }
        }

        if (bdatVsMailKit is double b)
        {
            bars.Add(new ChartBar("End to end, large messages: SmtpSender vs MailKit (MB/s)", $"BDAT, {where}", b, null));
        }
    }

    /// <summary>
    /// SmtpSender's GC heap at the largest size against the smallest, per server and K, flat meaning at most 2x (or
    /// 1 MB): what it holds once it has sent, and the sampled peak's growth over the window's start (garbage
    /// included); both where measured (older results: the peak's growth, or its size). The heap's size alone is not
    /// the client's: it includes what earlier contenders in the process left in shared pools.
    /// </summary>
    private static void HeapGoal(EndToEndReport e2e, List<(string, string, bool)> goals)
    {
        foreach (var group in e2e.Scenarios.Where(s => s.ReplyDelayMs == 0).GroupBy(s => (s.Target, s.Connections)))
        {
            var bySize = group.Select(s => (Size: SizeOf(e2e, s), Data: Find(s, Data)))
                .Where(p => p.Data?.PeakHeapBytes is not null).OrderBy(p => p.Size).ToArray();
            if (bySize.Length < 2 || bySize[^1].Size <= EndToEndOptions.LargeSize)
            {
                continue;
            }

            ContenderResult first = bySize[0].Data!, last = bySize[^1].Data!;
            static bool Flat(long? small, long? large) => small is not long s || large is not long l || l <= 2.0 * Math.Max(s, 1024 * 1024);
            bool met = Flat(first.HeldHeapBytes, last.HeldHeapBytes)
                && Flat(first.PeakHeapGrowthBytes ?? first.PeakHeapBytes, last.PeakHeapGrowthBytes ?? last.PeakHeapBytes);
            goals.Add(($"{group.Key.Target}, K={group.Key.Connections}: SmtpSender's GC heap flat in message size (at most 2x, or 1 MB, from {SizeText(bySize[0].Size)} to {SizeText(bySize[^1].Size)}): what it holds (after a full collection at the window's end, over the heap before it connected) and the sampled peak's growth over the window's start (garbage included)",
                string.Join(" / ", bySize.Select(p => $"{SizeText(p.Size)}: {(p.Data!.HeldHeapBytes is long held ? $"held {Megabytes(held)}, " : "")}peak {Heap(p.Data)}")), met));
        }
    }

    /// <summary>
    /// The same message as a MimeMessage (SmtpCodec.MimeKit), against MailKit's contender, which sends a MimeMessage
    /// too: what an application that builds its mail with MimeKit gets. Only scenarios that ran those contenders.
    /// </summary>
    private static void MimeMessages(StringBuilder md, EndToEndReport e2e)
    {
        var rows = e2e.Scenarios
            .Select(s => (Scenario: s, Pool: Find(s, "SmtpSender (MimeMessage)"), Connection: Find(s, "SmtpConnection (MimeMessage)"), MailKit: Find(s, MailKit)))
            .Where(r => r.Pool is not null || r.Connection is not null)
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        md.Append("MimeMessage end to end (each send prepares and writes the MimeMessage, as MailKit's `SendAsync(MimeMessage)` does):\n\n");
        md.Append("| server | reply delay | size | K | SmtpSender (MimeMessage) | SmtpConnection (MimeMessage) | MailKit SmtpClient | pool / MailKit | connection / MailKit | bytes per message (pool / connection / MailKit) |\n");
        md.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        foreach ((ScenarioResult scenario, ContenderResult? pool, ContenderResult? connection, ContenderResult? mailKit) in rows)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"| {scenario.Target} | {scenario.ReplyDelayMs} ms | {SizeText(SizeOf(e2e, scenario))} | {scenario.Connections} | {Rate(pool)} | {Rate(connection)} | {Rate(mailKit)} | {Times(Ratio(pool, mailKit))} | {Times(Ratio(connection, mailKit))} | {PerMessage(pool)} / {PerMessage(connection)} / {PerMessage(mailKit)} |\n");
        }

        md.Append('\n');
    }

    private static string Share(double? share) => share is double s ? Percent(s) : "-";

    /// <summary>For a target of at least <paramref name="target"/>x MailKit: a note when the raw ceiling itself is below it.</summary>
    private static string BeyondCeiling(double? ceilingVsMailKit, double target) =>
        ceilingVsMailKit is double c && c < target ? $"; beyond the ceiling, itself {SvgChart.Format(c)}x MailKit" : "";

    /// <summary>Ours over theirs, and the ceiling's share of theirs; "beyond the ceiling" when even that is above a third.</summary>
    private static string CpuShare(double ours, double theirs, string oursUser, string theirsUser, double? ceiling, string ceilingUser)
    {
        string text = $"{ours.ToString("N1", s_invariant)} us{oursUser} / {theirs.ToString("N1", s_invariant)} us{theirsUser} = {Share(ours / theirs)}";
        if (ceiling is double raw)
        {
            text += $", the ceiling's {raw.ToString("N1", s_invariant)} us{ceilingUser} = {Share(raw / theirs)}{(raw * 3 > theirs ? " (beyond the ceiling)" : "")}";
        }

        return text;
    }

    /// <summary>" (spinning off: DATA / MailKit)" where both ran so.</summary>
    private static string NoSpinPair(ContenderResult? data, ContenderResult? mailKit) =>
        data?.MedianNoSpinCpuMicrosecondsPerMessage is double ours && mailKit?.MedianNoSpinCpuMicrosecondsPerMessage is double theirs
            ? $" (spinning off: {ours.ToString("N1", s_invariant)} / {theirs.ToString("N1", s_invariant)})"
            : "";

    private static string NoSpinUser(ContenderResult? result) => result?.MedianNoSpinUserCpuMicrosecondsPerMessage is double us ? $" ({us.ToString("N1", s_invariant)} user)" : "";

    /// <summary>The CPU per message with spinning off, in the order given; "-" when no contender ran so.</summary>
    private static string NoSpinCpu(params ContenderResult?[] results) =>
        results.Any(r => r?.MedianNoSpinCpuMicrosecondsPerMessage is not null)
            ? string.Join(" / ", results.Select(r => r?.MedianNoSpinCpuMicrosecondsPerMessage is double us ? us.ToString("N1", s_invariant) : "-"))
            : "-";

    private static string User(ContenderResult? result) => result?.MedianUserCpuMicrosecondsPerMessage is double us ? $" ({us.ToString("N1", s_invariant)} user)" : "";

    private static string Cpu(ContenderResult? result) => result?.MedianCpuMicrosecondsPerMessage is double us ? us.ToString("N1", s_invariant) : "-";

    private static string Mb(ContenderResult? result, int size) =>
        result is { MedianMessagesPerSecond: > 0 } ? $"{(result.MedianMessagesPerSecond * size / 1e6).ToString("N0", s_invariant)} MB/s" : "-";

    /// <summary>The peak heap's growth over the window's start ("+"), or, in results from before that was measured, the peak heap's size.</summary>
    private static string Heap(ContenderResult? result) =>
        result?.PeakHeapGrowthBytes is long growth ? "+" + Megabytes(growth) : Megabytes(result?.PeakHeapBytes);

    private static string Megabytes(long? bytes) => bytes is long b ? $"{(b / 1048576.0).ToString("N1", s_invariant)} MB" : "-";
}
