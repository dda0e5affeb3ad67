using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Cli;

public sealed class UnstuffVerbTests
{
    [Fact]
    public async Task UnstuffWritesTheContentUpToTheTerminator()
    {
        CliResult result = await CliProcess.RunAsync("a\r\n..b\r\n\r\n.\r\n"u8.ToArray(), "unstuff");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("a\r\n.b\r\n\r\n"u8.ToArray(), result.Stdout);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task UnstuffUndoesStuff()
    {
        byte[] message = "line\n.dot\r\n..\rend"u8.ToArray();
        CliResult stuffed = await CliProcess.RunAsync(message, "stuff", "--chunk", "3");

        CliResult result = await CliProcess.RunAsync(stuffed.Stdout, "unstuff");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("line\r\n.dot\r\n..\r\nend\r\n"u8.ToArray(), result.Stdout);
    }

    [Theory]
    [InlineData("a\r\nb\r\n", "MissingDataTerminator at offset 6")]
    [InlineData("a\r\n.\r\nMAIL", "bytes after the terminator at offset 6")]
    [InlineData("a\nb\r\n.\r\n", "BareLineFeedInData at offset 1")]
    [InlineData("ab\rc\r\n.\r\n", "BareCarriageReturnInData at offset 2")]
    [InlineData("", "MissingDataTerminator at offset 0")]
    public async Task BadDataIsAnErrorNamingTheOffsetWithExitCode1(string input, string error)
    {
        CliResult result = await CliProcess.RunAsync(System.Text.Encoding.Latin1.GetBytes(input), "unstuff");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(error, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnstuffHasHelp()
    {
        CliResult result = await CliProcess.RunAsync(null, "unstuff", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("terminator", result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnstuffPrintsNothingOfABareCarriageReturn()
    {
        CliResult result = await CliProcess.RunAsync("ok\r\nab\rc\r\n.\r\n"u8.ToArray(), "unstuff");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("ok\r\nab"u8.ToArray(), result.Stdout);
        Assert.Contains("BareCarriageReturnInData at offset 6", result.Stderr, StringComparison.Ordinal);
    }
}
