using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>Arguments the sink once took leniently: controls in a command line and SIZE values that are not numbers.</summary>
public sealed class SmtpSinkStrictArgumentTests
{
    [Theory]
    [InlineData("MAIL FROM:<a\0@b.c>")]
    [InlineData("RCPT TO:<\0@d.e>")]
    [InlineData("HELO cli\0ent")]
    [InlineData("EHLO client\u0001")]
    [InlineData("NOOP\tx")]
    [InlineData("MAIL FROM:<a@b.c>\rRCPT TO:<d@e.f>")]
    [InlineData("RSET\u007f")]
    public async Task AControlCharacterInACommandLineIs501AndChangesNothing(string line)
    {
        bool rcpt = line.StartsWith("RCPT", StringComparison.Ordinal);

        // Nothing was taken: no sender (or recipient) was recorded by the refused line.
        string[] replies = await RepliesAsync((rcpt ? "MAIL FROM:<a@b.c>\r\n" : "") + line + "\r\nDATA\r\n", rcpt ? 3 : 2);

        Assert.Equal("501 5.5.2 Syntax error, control character in command line", replies[^2]);
        Assert.Equal(rcpt ? "554 5.5.1 No valid recipients" : "503 5.5.1 Need MAIL and RCPT before DATA", replies[^1]);
    }

    [Theory]
    [InlineData("SIZE=-1")]
    [InlineData("SIZE=")]
    [InlineData("SIZE=abc")]
    [InlineData("SIZE=+5")]
    [InlineData("SIZE=1e3")]
    [InlineData("SIZE=0x10")]
    [InlineData("SIZE=12x BODY=8BITMIME")]
    public async Task ASizeThatIsNotADecimalNumberIs501(string parameter)
    {
        string[] replies = await RepliesAsync($"MAIL FROM:<a@b.c> {parameter}\r\nRCPT TO:<d@e.f>\r\n", 2);

        Assert.Equal("501 5.5.4 Syntax: SIZE=<decimal number of octets>", replies[0]);
        Assert.StartsWith("503 ", replies[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SIZE=0", "250 2.1.0 Ok")]
    [InlineData("SIZE=1000", "250 2.1.0 Ok")]
    [InlineData("size=36700160", "250 2.1.0 Ok")]
    [InlineData("SIZE=36700161", "552 5.3.4 Message size exceeds fixed maximum message size")]
    [InlineData("SIZE=99999999999999999999999", "552 5.3.4 Message size exceeds fixed maximum message size")]
    public async Task ADecimalSizeIsTakenOrRefusedByTheLimit(string parameter, string expected)
    {
        Assert.Equal([expected], await RepliesAsync($"MAIL FROM:<a@b.c> {parameter}\r\n", 1));
    }

    /// <summary>The replies to the lines sent after EHLO, one connection to a default sink, which must have no session fault.</summary>
    private static async Task<string[]> RepliesAsync(string lines, int replies)
    {
        await using SmtpSink sink = SmtpSink.Start();
        string[] received;
        using (var client = await RawSmtpClient.ConnectAsync(sink.EndPoint))
        {
            received = (await client.SendAsync("EHLO client.test\r\n" + lines, replies + 1))[1..];
        }

        await sink.DisposeAsync();
        Assert.Equal(0, sink.SessionFaults);
        return received;
    }
}
