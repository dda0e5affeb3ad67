using System.Diagnostics;

namespace SmtpCodec.IntegrationTests.Packaging;

/// <summary>
/// The smtpcodec command installs as a .NET tool from the packed SmtpCodec.Tool package, exactly as the README
/// says, and runs: <c>dotnet tool install --tool-path DIR --add-source artifacts/packages SmtpCodec.Tool</c>, then
/// <c>DIR/smtpcodec demo</c>. NuGet gets a private cache, so a package cached by an earlier run with the same
/// version is never what gets installed.
/// </summary>
public sealed class DotnetToolTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("smtpcodec-tool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task TheToolInstallsFromThePackagesAndRunsTheDemo()
    {
        string package = PackageFolder.Find("SmtpCodec.Tool");
        string tools = Path.Combine(_directory, "tools");
        var environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = Path.Combine(_directory, "nuget-packages"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        };

        (int installed, string installOutput) = await RunAsync(
            "dotnet", ["tool", "install", "--tool-path", tools, "--add-source", PackageFolder.Path, "SmtpCodec.Tool"], environment, TimeSpan.FromMinutes(5));
        Assert.True(installed == 0, $"dotnet tool install exited {installed}:\n{installOutput}");

        // The tool installed is the one packed here (a feed could serve another SmtpCodec.Tool).
        (int listed, string list) = await RunAsync("dotnet", ["tool", "list", "--tool-path", tools], environment, TimeSpan.FromMinutes(2));
        Assert.True(listed == 0, list);
        Assert.Matches($@"(?im)^smtpcodec\.tool\s+{System.Text.RegularExpressions.Regex.Escape(PackageFolder.VersionOf(package))}\s+smtpcodec\s*$", list);

        (int exit, string output) = await RunAsync(Path.Combine(tools, "smtpcodec"), ["demo"], environment, TimeSpan.FromMinutes(2));

        Assert.True(exit == 0, $"smtpcodec demo exited {exit}:\n{output}");
        string[] lines = output.Split('\n').Select(line => line.TrimEnd('\r')).ToArray();
        Assert.Contains("S: 220 sink.localhost ESMTP SmtpCodec sink", lines);
        Assert.Contains("C: STARTTLS", lines);
        Assert.Contains("S: 235 2.7.0 Authentication successful", lines);
        Assert.Contains(lines, line => line.StartsWith("S: 250 2.0.0 Ok: queued as ", StringComparison.Ordinal));
        Assert.Contains("S: 221 2.0.0 Bye", lines);
    }

    /// <summary>Runs a program to its end within <paramref name="limit"/>; stdout and stderr together.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] args, Dictionary<string, string> environment, TimeSpan limit)
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
