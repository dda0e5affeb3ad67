using System.Text.Json;

namespace SmtpCodec.Benchmarks.Results;

/// <summary>One micro benchmark case, as kept in bench/results/micro.json.</summary>
internal sealed record MicroResult(string Benchmark, string Method, string Parameters, double MeanNs, long AllocatedBytes);

/// <summary>
/// The micro results: read from BenchmarkDotNet's full JSON reports, or from micro.json. Sources says, per benchmark
/// class, the command and time that produced its results (a partial run replaces some classes and keeps the others).
/// </summary>
internal sealed record MicroReport(string Generated, string Command, string Machine, IReadOnlyList<MicroResult> Results, IReadOnlyDictionary<string, string>? Sources = null)
{
    /// <summary>Collects every <c>*-report-full.json</c> under <paramref name="directory"/>.</summary>
    public static MicroReport FromBenchmarkDotNet(string directory, string command)
    {
        var results = new List<MicroResult>();
        string machine = "";
        foreach (string file in Directory.GetFiles(directory, "*-report-full.json").Order(StringComparer.Ordinal))
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(file));
            JsonElement root = document.RootElement;
            if (root.TryGetProperty("HostEnvironmentInfo", out JsonElement host))
            {
                machine = $"{Text(host, "ProcessorName")}, {Text(host, "PhysicalCoreCount")} cores, {Text(host, "OsVersion")}, {Text(host, "RuntimeVersion")}";
            }

            foreach (JsonElement benchmark in root.GetProperty("Benchmarks").EnumerateArray())
            {
                if (!benchmark.TryGetProperty("Statistics", out JsonElement statistics) || statistics.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                long allocated = benchmark.TryGetProperty("Memory", out JsonElement memory) && memory.ValueKind == JsonValueKind.Object
                    ? memory.GetProperty("BytesAllocatedPerOperation").GetInt64()
                    : -1;
                results.Add(new MicroResult(
                    Text(benchmark, "Type"),
                    Text(benchmark, "Method"),
                    Text(benchmark, "Parameters"),
                    statistics.GetProperty("Mean").GetDouble(),
                    allocated));
            }
        }

        string generated = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        Dictionary<string, string> sources = results.Select(r => r.Benchmark).Distinct().ToDictionary(b => b, _ => $"`{command}`, {generated}");
        return new MicroReport(generated, command, machine, results, sources);
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) ? value.ToString() : "";

    /// <summary>The case of <paramref name="benchmark"/>'s <paramref name="method"/> whose parameters include every one given.</summary>
    public MicroResult? Find(string benchmark, string method, params string[] parameters) =>
        Results.FirstOrDefault(r => r.Benchmark == benchmark && r.Method == method
            && parameters.All(p => r.Parameters.Split('&').Contains(p, StringComparer.Ordinal)));

    /// <summary>The distinct values of one parameter of a benchmark, in the order they were run.</summary>
    public IEnumerable<string> Values(string benchmark, string parameter) =>
        Results.Where(r => r.Benchmark == benchmark)
            .SelectMany(r => r.Parameters.Split('&'))
            .Where(p => p.StartsWith(parameter + "=", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal);
}

/// <summary>Issue 15's speed goals of micro benchmarks: ours at least Goal times the anchor, at 0 B (the report's target rows and chart marks).</summary>
internal static class MicroGoals
{
    public static readonly (string Benchmark, string Anchor, string Parameter, string What, double Goal)[] Goals =
    [
        ("CommandWritingBenchmarks", "StringBuilding", "", "writing MAIL FROM + RCPT TO with parameters", 2),
        ("ReplyReadingBenchmarks", "MailKit", "Input=iCloud EHLO", "reading the iCloud EHLO reply", 10),
        ("ReplyReadingBenchmarks", "MailKit", "Input=one line", "reading a one-line reply", 3),
    ];

    public static string AnchorName(string method) => method == "StringBuilding" ? "string building" : "MailKit";
}
