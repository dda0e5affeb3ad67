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
        await using SmtpSink sink = SmtpSink.Start();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO client.test");
        bool rcpt = line.StartsWith("RCPT", StringComparison.Ordinal);
        if (rcpt)
        {
            Assert.StartsWith("250 ", await client.CommandAsync("MAIL FROM:<a@b.c>"), StringComparison.Ordinal);
        }

        Assert.Equal("501 5.5.2 Syntax error, control character in command line", await client.CommandAsync(line));

        // Nothing was taken: no sender (or recipient) was recorded by the refused line.
        Assert.Equal(rcpt ? "554 5.5.1 No valid recipients" : "503 5.5.1 Need MAIL and RCPT before DATA", await client.CommandAsync("DATA"));
        await sink.DisposeAsync();
        Assert.Equal(0, sink.SessionFaults);
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
        await using SmtpSink sink = SmtpSink.Start();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO client.test");

        Assert.Equal("501 5.5.4 Syntax: SIZE=<decimal number of octets>", await client.CommandAsync("MAIL FROM:<a@b.c> " + parameter));
        Assert.StartsWith("503 ", await client.CommandAsync("RCPT TO:<d@e.f>"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SIZE=0", "250 2.1.0 Ok")]
    [InlineData("SIZE=1000", "250 2.1.0 Ok")]
    [InlineData("size=36700160", "250 2.1.0 Ok")]
    [InlineData("SIZE=36700161", "552 5.3.4 Message size exceeds fixed maximum message size")]
    [InlineData("SIZE=99999999999999999999999", "552 5.3.4 Message size exceeds fixed maximum message size")]
    public async Task ADecimalSizeIsTakenOrRefusedByTheLimit(string parameter, string expected)
    {
        await using SmtpSink sink = SmtpSink.Start();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO client.test");

        Assert.Equal(expected, await client.CommandAsync("MAIL FROM:<a@b.c> " + parameter));
    }
}
