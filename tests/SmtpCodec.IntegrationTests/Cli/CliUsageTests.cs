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
}
