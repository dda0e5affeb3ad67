using System.Diagnostics;
using System.Text.Json;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>
/// The runner's second process: this program in <c>e2e-agent</c> mode, started with the thread pool's spin-waiting
/// off (<see cref="Variable"/> = 0), running the same contenders against the same servers when the runner asks, one
/// run at a time. An idle .NET thread pool worker spins (and calls sched_yield) before it sleeps; against a slow server
/// a client process goes idle several times a message, so most of its CPU time is that spinning, whichever client it
/// is. Each run here is the runner's run again with the spinning off: the client's CPU without the runtime's idle
/// policy. Runs alternate with the runner's own, so both see the same server and machine. The agent is started
/// once, told each run as a line of JSON on its standard input, answers with the run's result as a line of JSON,
/// and is stopped by closing its input, or by its process id.
/// </summary>
internal sealed class NoSpinAgent : IAsyncDisposable
{
    /// <summary>The runtime's setting for how long an idle thread pool worker spins before it waits.</summary>
    public const string Variable = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    private static readonly JsonSerializerOptions s_line = new(EndToEndRunner.Json) { WriteIndented = false };

    private readonly Process _process;
    private readonly string? _smtpSource;
    private bool _broken;

    private NoSpinAgent(Process process, string? smtpSource)
    {
        _process = process;
        _smtpSource = smtpSource;
    }

    /// <summary>Starts the agent; <paramref name="smtpSource"/> is the smtp-source program for that contender, if any.</summary>
    public static NoSpinAgent Start(string? smtpSource)
    {
        ProcessStartInfo start = BenchServer.SelfStartInfo("e2e-agent");
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.Environment[Variable] = "0";
        Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the runner's no-spin agent.");
        return new NoSpinAgent(process, smtpSource);
    }

    /// <summary>One run of <paramref name="contender"/> in the agent, bounded in time as the runner's own runs are.</summary>
    public async Task<RunResult> RunAsync(Contender contender, BenchServer server, int connections, int messages, EndToEndOptions options)
    {
        if (_broken || _process.HasExited)
        {
            return new RunResult(0, 0, 0, null, false, "the no-spin agent is not running");
        }

        var request = new AgentRequest(
            contender.Name, server.Name, server.ReplyDelayMs, server.Port, connections, messages,
            options.Size, options.Warmup, options.WarmupSeconds, options.RunSeconds, _smtpSource);
        TimeSpan limit = TimeSpan.FromSeconds((options.RunSeconds * 2) + options.WarmupSeconds + 60);
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(request, s_line)).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync(timeout.Token).ConfigureAwait(false);
            string? line = await _process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            return line is not null && JsonSerializer.Deserialize<RunResult>(line, EndToEndRunner.Json) is { } result
                ? result
                : Broken("the no-spin agent ended without an answer");
        }
        catch (OperationCanceledException)
        {
            return Broken($"the no-spin agent did not answer within {limit.TotalSeconds:N0} s and was stopped");
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return Broken($"the no-spin agent failed: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                Console.Error.WriteLine($"  the no-spin agent did not stop when asked; killing process {_process.Id}.");
            }
        }

        Stop();
        _process.Dispose();
    }

    private RunResult Broken(string error)
    {
        _broken = true;
        Stop();
        return new RunResult(0, 0, 0, null, false, error);
    }

    private void Stop()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>
    /// <c>e2e-agent</c>: reads one request per line from standard input until it closes, runs it, and writes the
    /// result as one line on standard output (nothing else goes there). Refuses to start with the spinning on.
    /// </summary>
    public static async Task<int> ServeAsync()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "0")
        {
            await Console.Error.WriteLineAsync($"e2e-agent runs with {Variable}=0 only (the runner starts it so).").ConfigureAwait(false);
            return 2;
        }

        Dictionary<string, Contender>? contenders = null;
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is string line)
        {
            AgentRequest request = JsonSerializer.Deserialize<AgentRequest>(line, EndToEndRunner.Json)
                ?? throw new InvalidOperationException("e2e-agent: an empty request.");
            contenders ??= EndToEndRunner.CreateContenders(request.SmtpSource, blast: true).ToDictionary(c => c.Name, StringComparer.Ordinal);
            RunResult result;
            if (!contenders.TryGetValue(request.Contender, out Contender? contender))
            {
                result = new RunResult(0, 0, 0, null, false, $"e2e-agent has no contender '{request.Contender}'");
            }
            else
            {
                await using BenchServer server = BenchServer.Attach(request.Server, request.ReplyDelayMs, request.Port);
                var options = new EndToEndOptions { Sizes = [request.Size], Size = request.Size, Warmup = request.Warmup, WarmupSeconds = request.WarmupSeconds, RunSeconds = request.RunSeconds };
                GC.Collect();
                GC.WaitForPendingFinalizers();
                result = await contender.RunAsync(server, request.Connections, request.Messages, options).ConfigureAwait(false);
            }

            Console.Out.WriteLine(JsonSerializer.Serialize(result, s_line));
            await Console.Out.FlushAsync().ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>One run the runner asks of the agent: the contender, the server and the run's counts.</summary>
    private sealed record AgentRequest(
        string Contender, string Server, int ReplyDelayMs, int Port, int Connections, int Messages,
        int Size, int Warmup, double WarmupSeconds, double RunSeconds, string? SmtpSource);
}
