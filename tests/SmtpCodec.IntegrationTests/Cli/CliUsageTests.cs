using System.Text.RegularExpressions;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Cli;

public sealed class CliUsageTests
{
    [Fact]
    public async Task AnUnknownVerbIsAUsageErrorWithExitCode2()
    {
        CliResult result = await CliProcess.RunAsync(null, "no-such-verb");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no-such-verb", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task HelpDescribesTheCommand()
    {
        CliResult result = await CliProcess.RunAsync(null, "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("smtpcodec", result.StdoutText, StringComparison.Ordinal);
    }

    /// <summary>Every HOST:PORT option of every verb, with what a run needs besides it to reach the check.</summary>
    public static TheoryData<string, string, string[]> HostPortOptions => new()
    {
        { "send", "--server", ["--tls", "none", "--from", "a@test", "--to", "b@test"] },
        { "blast", "--server", ["--messages", "1", "--warmup", "0"] },
        { "sink", "--listen", [] },
    };

    [Theory]
    [MemberData(nameof(HostPortOptions))]
    public async Task AHostWithoutAPortSaysMissingPort(string verb, string option, string[] rest)
    {
        CliResult result = await RunAsync(verb, option, "127.0.0.1", rest);

        AssertUsageError(result, option);
        Assert.Contains($"{option} '127.0.0.1': missing port", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HostPortOptions))]
    public async Task APortPast65535SaysItIsOutOfRange(string verb, string option, string[] rest)
    {
        CliResult result = await RunAsync(verb, option, "127.0.0.1:99999", rest);

        AssertUsageError(result, option);
        // The sink may listen on port 0 (a free port); a server is never on it.
        string range = verb == "sink" ? "0-65535" : "1-65535";
        Assert.Contains($"{option} '127.0.0.1:99999': port 99999 is out of range ({range})", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("send", "--server", "127.0.0.1:0", "port 0 is out of range (1-65535)")]
    [InlineData("send", "--server", "mail.test:smtp", "port 'smtp' is not a number")]
    [InlineData("send", "--server", ":25", "missing host")]
    [InlineData("send", "--server", "::1:25", "an IPv6 address goes in brackets, e.g. [::1]:25")]
    [InlineData("blast", "--server", "[::1]", "missing port")]
    [InlineData("sink", "--listen", "mail.test:25", "'mail.test' is not an IP address or localhost")]
    public async Task AHostPortErrorSaysWhatIsWrong(string verb, string option, string value, string said)
    {
        string[] rest = verb == "send" ? ["--tls", "none", "--from", "a@test", "--to", "b@test"] : [];
        CliResult result = await RunAsync(verb, option, value, rest);

        AssertUsageError(result, option);
        Assert.Contains(said, result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--fault", "RCPT:sometimes=0.1")]
    [InlineData("--fault", "no-spec")]
    [InlineData("--fault-seed", "x")]
    [InlineData("--user", "nocolon")]
    [InlineData("--auth", "KERBEROS-9")]
    [InlineData("--chunking", "maybe")]
    [InlineData("--reply-delay-ms", "-1")]
    [InlineData("--max-connections", "0")]
    [InlineData("--command-timeout", "soon")]
    public async Task ASinkUsageErrorNamesItsOptionOnce(string option, string value)
    {
        CliResult result = await CliProcess.RunAsync(null, "sink", "--listen", "127.0.0.1:0", option, value);

        AssertUsageError(result, option);
    }

    [Theory]
    [InlineData("--fault", "RCPT:4xx=2")]
    [InlineData("--messages", "many")]
    [InlineData("--tls", "sometimes")]
    public async Task ABlastUsageErrorNamesItsOptionOnce(string option, string value)
    {
        CliResult result = await CliProcess.RunAsync(null, "blast", "--messages", "1", "--warmup", "0", option, value);

        AssertUsageError(result, option);
    }

    private static Task<CliResult> RunAsync(string verb, string option, string value, string[] rest) =>
        CliProcess.RunAsync([], [verb, option, value, .. rest]);

    /// <summary>Exit 2, nothing on stdout, and the option named exactly once (never "--fault: --fault:").</summary>
    private static void AssertUsageError(CliResult result, string option)
    {
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Empty(result.Stdout);
        // A whole word: --fault is not counted inside --fault-seed.
        int named = Regex.Count(result.Stderr, $@"(?<![\w-]){Regex.Escape(option)}(?![\w-])");
        Assert.True(named == 1, $"{option} is named {named} times in: {result.Stderr}");
    }
}
