using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using SmtpCodec.Benchmarks.EndToEnd;
using SmtpCodec.Benchmarks.Results;

namespace SmtpCodec.Benchmarks;

/// <summary>
/// The benchmark suite's entry point. With no mode, BenchmarkDotNet's switcher runs the micro benchmarks
/// (<c>--filter '*'</c>, <c>--job short</c>, <c>--job dry</c> ...). Modes:
/// <c>e2e</c> the end-to-end runner (see <see cref="EndToEndOptions"/>);
/// <c>e2e-sink</c> the embedded sink as a separate process (the runner starts it);
/// <c>e2e-agent</c> the runner's second process, with the thread pool's spin-waiting off (the runner starts it);
/// <c>report</c> regenerates bench/results and the README's results section from the JSON results.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "e2e":
                return await EndToEndRunner.RunAsync(args[1..]).ConfigureAwait(false);
            case "e2e-agent":
                return await NoSpinAgent.ServeAsync().ConfigureAwait(false);
            case "e2e-sink":
                return await SinkHost.RunAsync(args[1..]).ConfigureAwait(false);
            case "report":
                return ResultsReport.Run(args[1..]);
            default:
                // Full JSON reports feed `report`; the console and markdown reports stay as BenchmarkDotNet writes them.
                IConfig config = DefaultConfig.Instance.AddExporter(JsonExporter.Full);
                Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config).ToArray();

                // A benchmark that failed (its setup threw, its process crashed) must fail the command, dry runs included.
                bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success) || s.Reports.Length < s.BenchmarksCases.Length);
                return failed ? 1 : 0;
        }
    }
}
