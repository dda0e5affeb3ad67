using System.Diagnostics;

namespace SmtpCodec.IntegrationTests.Packaging;

/// <summary>Runs the .NET CLI and packaged programs as a user would, with a NuGet cache private to the test.</summary>
internal static class PackagedProcess
{
    /// <summary>
    /// An environment whose NuGet package cache is a folder of <paramref name="directory"/>: a package cached by an
    /// earlier run with the same version is never what gets restored. (Downloads still come from NuGet's HTTP cache.)
    /// </summary>
    public static Dictionary<string, string> PrivateNuGet(string directory) => new()
    {
        ["NUGET_PACKAGES"] = Path.Combine(directory, "nuget-packages"),
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
    };

    /// <summary>Runs a program to its end within <paramref name="limit"/>; stdout and stderr together.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] args, Dictionary<string, string> environment, TimeSpan limit)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(limit);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {limit.TotalSeconds} s");
        }
    }
}
