using System.Diagnostics;
using System.Text;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>What a run of the <c>smtpcodec</c> command gave back.</summary>
internal sealed record CliResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);
}

/// <summary>
/// Runs the built <c>smtpcodec</c> command as a separate process, as a user would, with bytes on stdin
/// and a time limit so that a hang fails the test instead of stalling the run.
/// </summary>
internal static class CliProcess
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string AssemblyPath { get; } =
        Path.Combine(RepositoryRoot.Path, "tools", "SmtpCodec.Cli", "bin", Configuration, "net10.0", "smtpcodec.dll");

    public static Task<CliResult> RunAsync(byte[]? stdin, params string[] args) => RunWithEnvironmentAsync(stdin, null, args);

    /// <summary>Runs with extra environment variables (a password named by --password-env, say).</summary>
    public static Task<CliResult> RunWithEnvironmentAsync(byte[]? stdin, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunAssemblyAsync(AssemblyPath, stdin, environment, args);

    /// <summary>The output folder of a tool built by the solution, e.g. <c>tools/SmtpCodec.Fuzz</c>.</summary>
    public static string ToolAssembly(string project, string assemblyName) =>
        Path.Combine(RepositoryRoot.Path, project, "bin", Configuration, "net10.0", assemblyName);

    /// <summary>Runs any built program of the repository (its dll under dotnet) the same way.</summary>
    public static async Task<CliResult> RunAssemblyAsync(string assemblyPath, byte[]? stdin, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        Assert.True(File.Exists(assemblyPath), $"{assemblyPath} is missing: build the solution first");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(assemblyPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = new MemoryStream();
        Task copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        Task<string> readErr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            await copyOut;
            return new CliResult(process.ExitCode, stdout.ToArray(), await readErr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(assemblyPath)} {string.Join(' ', args)} did not finish within 60 s");
        }
    }
}
