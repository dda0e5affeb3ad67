using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>The medians of one contender's runs in one scenario.</summary>
internal sealed record ContenderResult(string Name, double MedianMessagesPerSecond, double? MedianAllocatedBytesPerMessage, IReadOnlyList<RunResult> Runs)
{
    /// <summary>The median CPU time per message of the client process (this one, or the child for smtp-source).</summary>
    public double? MedianCpuMicrosecondsPerMessage { get; init; }

    /// <summary>The median user-mode CPU time per message (this process only).</summary>
    public double? MedianUserCpuMicrosecondsPerMessage { get; init; }

    /// <summary>The largest GC heap over the runs (sampled).</summary>
    public long? PeakHeapBytes { get; init; }

    /// <summary>The largest growth of the GC heap over its size at the window's start, over the runs (null in results written before it was measured).</summary>
    public long? PeakHeapGrowthBytes { get; init; }

    /// <summary>The most the contender held over the runs (<see cref="RunResult.HeldHeapBytes"/>; null in results written before it was measured).</summary>
    public long? HeldHeapBytes { get; init; }

    /// <summary>The same contender's runs in the no-spin agent (the thread pool's spin-waiting off); null where none ran.</summary>
    public IReadOnlyList<RunResult>? NoSpinRuns { get; init; }

    /// <summary>The median CPU time per message in the no-spin agent.</summary>
    public double? MedianNoSpinCpuMicrosecondsPerMessage { get; init; }

    /// <summary>The median user-mode CPU time per message in the no-spin agent.</summary>
    public double? MedianNoSpinUserCpuMicrosecondsPerMessage { get; init; }

    /// <summary>The median rate in the no-spin agent.</summary>
    public double? MedianNoSpinMessagesPerSecond { get; init; }

    /// <summary>The largest peak resident set over the runs.</summary>
    public long? PeakWorkingSetBytes { get; init; }
}

/// <summary>One server, reply delay and connection count, with every contender's result.</summary>
internal sealed record ScenarioResult(string Target, int ReplyDelayMs, int Connections, int Messages, IReadOnlyList<ContenderResult> Contenders)
{
    /// <summary>The message size of the scenario (0 in results written before sizes were a dimension: the report's size then).</summary>
    public int Size { get; init; }
}

/// <summary>What <c>e2e</c> writes with <c>--out</c>, and what <c>report</c> reads.</summary>
internal sealed record EndToEndReport(string Generated, string Command, string Machine, int Size, int Warmup, int Runs, IReadOnlyList<ScenarioResult> Scenarios);

/// <summary>
/// <c>e2e</c>: N messages of about 2.2 KB over K connections, SmtpSender against MailKit's SmtpClient (and
/// Postfix's smtp-source against smtp-sink), every contender timed alike: its connections open and its warm-up
/// sent before the clock starts, runs alternating between contenders, medians reported.
/// </summary>
internal static class EndToEndRunner
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(EndToEndOptions.Usage);
            return 0;
        }

        EndToEndOptions options;
        string? smtpSink = null, smtpSource = null;
        try
        {
            options = EndToEndOptions.Parse(args);
            if (options.Postfix)
            {
                smtpSink = FindProgram(options.SmtpSinkPath, "smtp-sink");
            }

            if (options.Postfix || options.Smtpd)
            {
                smtpSource = FindProgram(options.SmtpSourcePath, "smtp-source");
            }
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 2;
        }

        List<Contender> contenders = CreateContenders(smtpSource, blast: options.Postfix || options.Smtpd);
        if (options.Contenders is { } chosen)
        {
            contenders.RemoveAll(c => !chosen.Contains(c.Name, StringComparer.OrdinalIgnoreCase));
        }

        var scenarios = new List<ScenarioResult>();
        int failures = 0;
        await using NoSpinAgent? agent = options.NoSpinRuns != NoSpinScope.None && contenders.Count > 0 ? NoSpinAgent.Start(smtpSource) : null;
        foreach (int delay in options.Embedded ? options.ReplyDelaysMs : [])
        {
            await using BenchServer server = await BenchServer.StartEmbeddedSinkAsync(delay).ConfigureAwait(false);
            failures += await RunScenariosAsync(server, contenders, agent, options, scenarios).ConfigureAwait(false);
        }

        if (smtpSink is not null)
        {
            await using BenchServer server = await BenchServer.StartSmtpSinkAsync(smtpSink).ConfigureAwait(false);
            failures += await RunScenariosAsync(server, contenders, agent, options, scenarios).ConfigureAwait(false);
        }

        if (options.Smtpd)
        {
            await using BenchServer server = await BenchServer.StartPostfixSmtpdAsync().ConfigureAwait(false);
            failures += await RunScenariosAsync(server, contenders, agent, options, scenarios).ConfigureAwait(false);
        }

        PrintSummary(scenarios);
        if (options.Output is not null)
        {
            var report = new EndToEndReport(
                DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
                "dotnet run -c Release --project bench/SmtpCodec.Benchmarks -- e2e " + string.Join(' ', args),
                $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}",
                options.Sizes[0], options.Warmup, options.Runs, scenarios);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Output))!);
            await File.WriteAllTextAsync(options.Output, JsonSerializer.Serialize(report, Json) + "\n").ConfigureAwait(false);
            Console.Error.WriteLine($"wrote {options.Output}");
        }

        if (failures > 0)
        {
            await Console.Error.WriteLineAsync($"{failures} run(s) failed.").ConfigureAwait(false);
            return 1;
        }

        return 0;
    }

    /// <summary>Every contender of this suite; smtp-source when its program is known, blast when asked for and built.</summary>
    internal static List<Contender> CreateContenders(string? smtpSource, bool blast)
    {
        List<Contender> contenders =
        [
            new RawCeilingContender(), new SmtpSenderContender(chunking: false), new SmtpSenderContender(chunking: true), new MailKitContender(),
            new MimeMessageContender(pool: true), new MimeMessageContender(pool: false),
        ];
        if (smtpSource is not null)
        {
            contenders.Add(new SmtpSourceContender(smtpSource));
        }

        if (blast && BlastContender.Find() is { } cli)
        {
            contenders.Add(new BlastContender(cli));
        }

        return contenders;
    }

    private static async Task<int> RunScenariosAsync(BenchServer server, List<Contender> contenders, NoSpinAgent? agent, EndToEndOptions options, List<ScenarioResult> scenarios)
    {
        int failures = 0;
        foreach (int size in options.Sizes.Where(s => server.ReplyDelayMs == 0 || s <= EndToEndOptions.LargeSize))
        {
            failures += await RunScenariosAsync(server, contenders, options.RunsWithoutSpinning(size) ? agent : null, options with { Size = size, Warmup = options.WarmupFor(size) }, size, scenarios).ConfigureAwait(false);
        }

        return failures;
    }

    private static async Task<int> RunScenariosAsync(BenchServer server, List<Contender> contenders, NoSpinAgent? agent, EndToEndOptions options, int size, List<ScenarioResult> scenarios)
    {
        int failures = 0;
        foreach (int connections in options.Connections)
        {
            int messages = server.ReplyDelayMs == 0 ? options.MessagesFor(size) : options.DelayedMessagesPerConnection * connections;
            if (server.Name == BenchServer.SmtpdName)
            {
                messages = Math.Min(messages, options.SmtpdMessages);
            }

            Contender[] here = contenders.Where(c => c.CanRunAgainst(server)).ToArray();
            var runs = here.ToDictionary(c => c, _ => new List<RunResult>());
            var noSpinRuns = here.ToDictionary(c => c, _ => new List<RunResult>());
            Console.Error.WriteLine($"{server.Name}, reply delay {server.ReplyDelayMs} ms, {connections} connection(s), {messages} messages of {size:N0} bytes per run:");

            // Alternating: every contender's first run, then every contender's second run, and so on.
            for (int run = 1; run <= options.Runs; run++)
            {
                foreach (Contender contender in here)
                {
                    // With the agent, the same run again there, the thread pool's spin-waiting off (see NoSpinAgent);
                    // which of the two goes first alternates from run to run.
                    bool agentFirst = agent is not null && run % 2 == 0;
                    if (agentFirst)
                    {
                        failures += await RunInAgentAsync(agent!, contender, server, connections, messages, options, run, noSpinRuns[contender]).ConfigureAwait(false);
                    }

                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    RunResult result = await contender.RunAsync(server, connections, messages, options).ConfigureAwait(false);
                    runs[contender].Add(result);
                    failures += Print(run, contender.Name, result);
                    if (agent is not null && !agentFirst)
                    {
                        failures += await RunInAgentAsync(agent, contender, server, connections, messages, options, run, noSpinRuns[contender]).ConfigureAwait(false);
                    }
                }
            }

            scenarios.Add(new ScenarioResult(server.Name, server.ReplyDelayMs, connections, messages, here.Select(c => new ContenderResult(
                c.Name,
                Median(runs[c].Select(r => r.MessagesPerSecond)),
                runs[c].All(r => r.AllocatedBytesPerMessage is not null) ? Median(runs[c].Select(r => r.AllocatedBytesPerMessage!.Value)) : null,
                runs[c])
            {
                MedianCpuMicrosecondsPerMessage = runs[c].All(r => r.CpuMicrosecondsPerMessage is not null) ? Median(runs[c].Select(r => r.CpuMicrosecondsPerMessage!.Value)) : null,
                MedianUserCpuMicrosecondsPerMessage = runs[c].All(r => r.UserCpuMicrosecondsPerMessage is not null) ? Median(runs[c].Select(r => r.UserCpuMicrosecondsPerMessage!.Value)) : null,
                PeakHeapBytes = runs[c].Max(r => r.PeakHeapBytes),
                PeakHeapGrowthBytes = runs[c].Max(r => r.PeakHeapGrowthBytes),
                HeldHeapBytes = runs[c].Max(r => r.HeldHeapBytes),
                PeakWorkingSetBytes = runs[c].Max(r => r.PeakWorkingSetBytes),
                NoSpinRuns = agent is null ? null : noSpinRuns[c],
                MedianNoSpinCpuMicrosecondsPerMessage = MedianOf(agent is null ? [] : noSpinRuns[c], r => r.CpuMicrosecondsPerMessage),
                MedianNoSpinUserCpuMicrosecondsPerMessage = MedianOf(agent is null ? [] : noSpinRuns[c], r => r.UserCpuMicrosecondsPerMessage),
                MedianNoSpinMessagesPerSecond = MedianOf(agent is null ? [] : noSpinRuns[c], r => r.MessagesPerSecond),
            }).ToArray()) { Size = size });
        }

        return failures;
    }

    private static async Task<int> RunInAgentAsync(NoSpinAgent agent, Contender contender, BenchServer server, int connections, int messages, EndToEndOptions options, int run, List<RunResult> results)
    {
        RunResult result = await agent.RunAsync(contender, server, connections, messages, options).ConfigureAwait(false);
        results.Add(result);
        return Print(run, contender.Name + ", no spin", result);
    }

    /// <summary>The median of a figure over runs, or null when there are none or one of them lacks it.</summary>
    private static double? MedianOf(List<RunResult> runs, Func<RunResult, double?> figure) =>
        runs.Count > 0 && runs.All(r => figure(r) is not null) ? Median(runs.Select(r => figure(r)!.Value)) : null;

    /// <summary>One run's line on the console; 1 when it failed (an error or nothing accepted).</summary>
    private static int Print(int run, string name, RunResult result)
    {
        string figures = result.AllocatedBytesPerMessage is double bytes ? $", {bytes:N0} B/message" : "";
        figures += result.CpuMicrosecondsPerMessage is double cpu ? $", {cpu:N1} us CPU/message" : "";
        figures += result.UserCpuMicrosecondsPerMessage is double user ? $" ({user:N1} user)" : "";
        figures += result.PeakHeapBytes is long heap ? $", heap peak {heap / 1048576.0:N1} MB" : "";
        figures += result.HeapAtStartBytes is long atStart && result.HeldHeapBytes is long held
            ? $" (window start {atStart / 1048576.0:N1} MB, held {held / 1048576.0:N1} MB, {result.Collections} GCs)"
            : "";
        figures += result.PeakWorkingSetBytes is long rss ? $", RSS peak {rss / 1048576.0:N0} MB" : "";
        string note = result.Error is not null ? $"  FAILED: {result.Error}" : result.StoppedEarly ? "  (stopped at the time limit)" : "";
        Console.Error.WriteLine($"  run {run} {name,-20} {result.Accepted,7} in {result.Seconds,7:F2} s = {result.MessagesPerSecond,9:N0} msg/s{figures}{note}");
        return result.Error is not null || result.Accepted == 0 ? 1 : 0;
    }

    private static void PrintSummary(List<ScenarioResult> scenarios)
    {
        Console.WriteLine("| server | reply delay | size | K | contender | messages/s (median) | MB/s | share of the ceiling | CPU per message | the same, spinning off | allocated per message | heap held | heap peak growth |");
        Console.WriteLine("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (ScenarioResult scenario in scenarios)
        {
            ContenderResult? ceiling = scenario.Contenders.FirstOrDefault(c => c.Name == RawCeilingContender.ContenderName);
            foreach (ContenderResult contender in scenario.Contenders)
            {
                string allocated = contender.MedianAllocatedBytesPerMessage is double bytes ? $"{bytes:N0} B" : "n/a";
                string cpu = contender.MedianCpuMicrosecondsPerMessage is double us ? $"{us:N1} us" : "n/a";
                string quiet = contender.MedianNoSpinCpuMicrosecondsPerMessage is double q ? $"{q:N1} us" : "-";
                string share = ceiling is { MedianMessagesPerSecond: > 0 } ? $"{contender.MedianMessagesPerSecond / ceiling.MedianMessagesPerSecond:P0}" : "-";
                string held = contender.HeldHeapBytes is long h ? $"{h / 1048576.0:N1} MB" : "n/a";
                string growth = contender.PeakHeapGrowthBytes is long g ? $"+{g / 1048576.0:N1} MB" : "n/a";
                Console.WriteLine($"| {scenario.Target} | {scenario.ReplyDelayMs} ms | {scenario.Size:N0} | {scenario.Connections} | {contender.Name} | {contender.MedianMessagesPerSecond:N0} | {contender.MedianMessagesPerSecond * scenario.Size / 1e6:N1} | {share} | {cpu} | {quiet} | {allocated} | {held} | {growth} |");
            }
        }
    }

    internal static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string FindProgram(string? given, string name)
    {
        if (given is not null)
        {
            return File.Exists(given) ? given : throw new ArgumentException($"{given} does not exist.");
        }

        IEnumerable<string> directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/usr/lib/postfix");
        return directories.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
            ?? throw new ArgumentException($"Postfix's {name} was not found (install the postfix package, e.g. with bench/run.sh, or pass --targets embedded).");
    }
}
