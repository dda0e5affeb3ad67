using System.Text;
using SmtpCodec.Tests.Data;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Cli;

public sealed class StuffVerbTests
{
    private static readonly byte[] Message = Encoding.Latin1.GetBytes(
        "From: a@example.com\r\n.hidden\n\r\n..two\rlast \u00e9 line\r" + new string('x', 300) + "\n.");

    [Fact]
    public async Task StuffWritesTheStuffedMessageAndTheTerminator()
    {
        CliResult result = await CliProcess.RunAsync(Message, "stuff");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(DataFixtures.ReferenceStuff(Message), result.Stdout);
        Assert.Empty(result.Stderr);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    [InlineData("7")]
    [InlineData("64")]
    public async Task StuffWithAnyChunkSizeWritesTheSameOutput(string chunk)
    {
        CliResult result = await CliProcess.RunAsync(Message, "stuff", "--chunk", chunk);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(DataFixtures.ReferenceStuff(Message), result.Stdout);
    }

    [Fact]
    public async Task StuffingEmptyInputWritesTheLoneTerminator()
    {
        CliResult result = await CliProcess.RunAsync([], "stuff");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(".\r\n"u8.ToArray(), result.Stdout);
    }

    [Fact]
    public async Task AChunkSizeBelowOneIsAUsageError()
    {
        CliResult result = await CliProcess.RunAsync([], "stuff", "--chunk", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--chunk", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectingLongLinesNamesTheOffsetAndExitsWith1()
    {
        byte[] input = [.. "ok\r\n"u8.ToArray(), .. Enumerable.Repeat((byte)'y', 1200)];

        CliResult result = await CliProcess.RunAsync(input, "stuff", "--reject-long-lines");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("DataLineTooLong at offset 1002", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StuffHasHelp()
    {
        CliResult result = await CliProcess.RunAsync(null, "stuff", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--chunk", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("terminator", result.StdoutText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("16385")]
    [InlineData("40000")]
    [InlineData("200000")]
    public async Task StuffWithChunksLargerThanTheEncoderPiecesWritesTheSameOutput(string chunk)
    {
        byte[] message = [.. Enumerable.Range(0, 8000).SelectMany(k => Encoding.ASCII.GetBytes(k % 7 == 0 ? $".line {k}\n" : $"line {k} of text\r\n"))];
        Assert.True(message.Length > 100 * 1024);

        CliResult whole = await CliProcess.RunAsync(message, "stuff");
        CliResult result = await CliProcess.RunAsync(message, "stuff", "--chunk", chunk);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(DataFixtures.ReferenceStuff(message), whole.Stdout);
        Assert.Equal(whole.Stdout, result.Stdout);
    }
}
