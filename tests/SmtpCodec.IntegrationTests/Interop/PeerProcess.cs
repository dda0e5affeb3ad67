using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>
/// A real peer running as a child process: its output lines are collected as they come, and it is
/// stopped by its process id (SIGTERM, then SIGKILL of its whole tree) when disposed.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = NewSignal();

    private PeerProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    /// <summary>The command line, for messages.</summary>
    public string Description { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="fileName"/>; its stdin stays open (peers that watch it stop when it closes).</summary>
    public static PeerProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        string description = fileName + " " + string.Join(' ', start.ArgumentList);
        Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {description}");
        var peer = new PeerProcess(process, description);
        process.OutputDataReceived += (_, e) => peer.OnOutput(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => peer.OnOutput(e.Data, isError: true);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>The stdout lines so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _stdout];
            }
        }
    }

    /// <summary>stdout and stderr so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return $"{Description}\nstdout:\n{string.Join('\n', _stdout)}\nstderr:\n{_stderr}";
            }
        }
    }

    /// <summary>Waits until a stdout line matches (any line since the start counts); fails with the output on timeout or exit.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        using var limit = new CancellationTokenSource(timeout);
        int seen = 0;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                for (; seen < _stdout.Count; seen++)
                {
                    if (match(_stdout[seen]))
                    {
                        return _stdout[seen];
                    }
                }

                changed = _changed.Task;
            }

            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(CancellationToken.None); // drains the output events
                lock (_gate)
                {
                    if (seen < _stdout.Count)
                    {
                        continue;
                    }
                }

                throw new InvalidOperationException($"{what}: the peer exited with code {_process.ExitCode}.\n{Output}");
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromMilliseconds(200), limit.Token);
            }
            catch (TimeoutException)
            {
                // poll HasExited again
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{what}: nothing within {timeout.TotalSeconds:0} s.\n{Output}");
            }
        }
    }

    /// <summary>Writes to the peer's stdin (a typed line, say).</summary>
    public async Task WriteInputAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Closes stdin, then waits for the exit.</summary>
    public async Task<int> CloseInputAndWaitAsync(TimeSpan timeout)
    {
        _process.StandardInput.Close();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the peer did not exit within {timeout.TotalSeconds:0} s after its input closed.\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Stops the peer by its id: SIGTERM (Postfix's master stops its children then), then SIGKILL of the tree.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                SendTerminate(_process.Id);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // it had already gone
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnOutput(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        TaskCompletionSource changed;
        lock (_gate)
        {
            if (isError)
            {
                _stderr.Append(line).Append('\n');
            }
            else
            {
                _stdout.Add(line);
            }

            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    private static void SendTerminate(int pid)
    {
        try
        {
            _ = Kill(pid, SigTerm);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // no libc to call: the SIGKILL of the whole tree after the grace period still stops it
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private const int SigTerm = 15;

    // kill(2): the BCL can only SIGKILL another process, and Postfix's master needs SIGTERM to stop its children.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
