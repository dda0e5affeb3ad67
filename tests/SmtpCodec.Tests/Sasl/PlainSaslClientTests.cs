using System.Buffers;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;
using SmtpCodec.Sasl;

namespace SmtpCodec.Tests.Sasl;

public sealed class PlainSaslClientTests
{
    [Fact]
    public void TheArticlesCredentialsGiveItsExactAuthPlainString()
    {
        var client = new PlainSaslClient("you@icloud.com", "email-me-your-favorite-color");
        var response = new byte[256];
        client.WriteInitialResponse(response, out int length, out _);
        var writer = new ArrayBufferWriter<byte>();

        SmtpCommandWriter.WriteAuth(writer, client.Mechanism, response.AsSpan(0, length)).ThrowIfFailed();

        Assert.Equal("AUTH PLAIN AHlvdUBpY2xvdWQuY29tAGVtYWlsLW1lLXlvdXItZmF2b3JpdGUtY29sb3I=\r\n", System.Text.Encoding.ASCII.GetString(writer.WrittenSpan));
        Assert.True(client.IsComplete);
    }

    [Fact]
    public void TheRfc4616ExamplesAreAuthzidNulAuthcidNulPassword()
    {
        // RFC 4616 section 4: "\0tim\0tanstaaftanstaaf" and "Ursel\0Kurt\0xipj3plmq".
        Assert.Equal("\0tim\0tanstaaftanstaaf", SaslExchange.InitialResponse(new PlainSaslClient("tim", "tanstaaftanstaaf")));
        Assert.Equal("Ursel\0Kurt\0xipj3plmq", SaslExchange.InitialResponse(new PlainSaslClient("Kurt", "xipj3plmq", "Ursel")));
    }

    [Fact]
    public void AnEmptyChallengeGetsTheMessageWhenItWasNotSentWithAuth()
    {
        Assert.Equal("\0u\0p", SaslExchange.Answer(new PlainSaslClient("u", "p"), ""));
    }

    [Fact]
    public void AFurtherChallengeIsNotPartOfThePlainMechanism()
    {
        var client = new PlainSaslClient("u", "p");
        SaslExchange.InitialResponse(client);

        Assert.Equal(SmtpCodecError.InvalidServerChallenge, SaslExchange.Refusal(client, "more?"));
    }

    [Fact]
    public void ATooSmallBufferChangesNothing()
    {
        var client = new PlainSaslClient("user", "password");

        Assert.Equal(OperationStatus.DestinationTooSmall, client.WriteInitialResponse(new byte[5], out _, out _));
        Assert.False(client.IsComplete);
        Assert.Equal("\0user\0password", SaslExchange.InitialResponse(client));
    }

    [Fact]
    public void CredentialsWithNulAreRefused()
    {
        Assert.Equal("password", Assert.Throws<ArgumentException>(() => new PlainSaslClient("u", "p\0q")).ParamName);
    }
}
