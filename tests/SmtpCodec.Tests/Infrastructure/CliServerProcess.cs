using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>
/// A long-running <c>smtpcodec</c> verb (such as <c>sink</c>) as a separate process: started, waited for until it
/// prints <c>listening on HOST:PORT</c>, stopped gracefully by a signal sent to its process id, and killed only
/// if it outlives the test.
/// </summary>
internal sealed class CliServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private CliServerProcess(Process process, string firstLine, Task<string> stdout, Task<string> stderr)
    {
        _process = process;
        FirstLine = firstLine;
        _stdout = stdout;
        _stderr = stderr;
        const string prefix = "listening on ";
        if (firstLine.StartsWith(prefix, StringComparison.Ordinal) && IPEndPoint.TryParse(firstLine[prefix.Length..], out IPEndPoint? endPoint))
        {
            EndPoint = endPoint;
        }
    }

    /// <summary>The process id (for /proc measurements).</summary>
    public int ProcessId => _process.Id;

    /// <summary>The first line the process wrote on stdout.</summary>
    public string FirstLine { get; }

    /// <summary>The address of the <c>listening on</c> line, or null when the first line was something else.</summary>
    public IPEndPoint? EndPoint { get; }

    /// <summary>Starts the command and waits (60 s at most) for its first stdout line, or its exit.</summary>
    public static async Task<CliServerProcess> StartAsync(params string[] args)
    {
        Assert.True(File.Exists(CliProcess.AssemblyPath), $"{CliProcess.AssemblyPath} is missing: build the solution first");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliProcess.AssemblyPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            string firstLine = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? "";
            return new CliServerProcess(process, firstLine, process.StandardOutput.ReadToEndAsync(), stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw new TimeoutException($"smtpcodec {string.Join(' ', args)} printed nothing within 60 s");
        }
    }

    /// <summary>Sends the signal (INT or TERM) to the process id and waits for a graceful exit.</summary>
    public async Task<CliResult> StopAsync(string signal)
    {
        // The shell's kill builtin: no native interop, and present wherever the test command runs.
        using (var kill = Process.Start("bash", ["-c", $"kill -s {signal} {_process.Id.ToString(CultureInfo.InvariantCulture)}"]))
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        return await WaitForExitAsync();
    }

    /// <summary>Waits (60 s at most) for the process to end by itself.</summary>
    public async Task<CliResult> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the process {_process.Id} did not exit within 60 s");
        }

        string rest = await _stdout;
        string stdout = FirstLine.Length == 0 && rest.Length == 0 ? "" : FirstLine + "\n" + rest;
        return new CliResult(_process.ExitCode, System.Text.Encoding.UTF8.GetBytes(stdout), await _stderr);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Only when a test failed before stopping it: it must not outlive the run.
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
