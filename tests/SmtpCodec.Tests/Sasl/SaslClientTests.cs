using System.Buffers;
using System.Text;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;
using SmtpCodec.Sasl;

namespace SmtpCodec.Tests.Sasl;

public sealed class SaslClientTests
{
    public static TheoryData<string> LongCredentialMechanisms() => ["XOAUTH2 2 KB token", "PLAIN 400-byte password"];

    [Theory]
    [MemberData(nameof(LongCredentialMechanisms))]
    public void ADeferredInitialResponseIsSentAfterThe334AsTheSameBase64(string which)
    {
        SaslClient client = which.StartsWith("XOAUTH2", StringComparison.Ordinal)
            ? new XOAuth2SaslClient("user@example.com", new string('t', 2048))
            : new PlainSaslClient("user@example.com", new string('p', 400));
        var response = new byte[4096];
        Assert.Equal(OperationStatus.Done, client.WriteInitialResponse(response, out int written, out _));
        byte[] initial = response.AsSpan(0, written).ToArray();

        var wire = new ArrayBufferWriter<byte>();
        CommandWriteResult auth = SmtpCommandWriter.WriteAuth(wire, client.Mechanism, initial);
        Assert.True(auth.Succeeded);
        Assert.True(auth.InitialResponseDeferred);
        Assert.Equal($"AUTH {SaslMechanismNames.GetName(client.Mechanism)}\r\n", Encoding.ASCII.GetString(wire.WrittenSpan));

        // After the server's empty 334: the bytes kept from before, or a second call, which gives the same bytes.
        var again = new byte[4096];
        Assert.Equal(OperationStatus.Done, client.WriteInitialResponse(again, out int writtenAgain, out _));
        Assert.Equal(initial, again.AsSpan(0, writtenAgain).ToArray());

        wire.ResetWrittenCount();
        Assert.True(SmtpCommandWriter.WriteAuthResponse(wire, again.AsSpan(0, writtenAgain)).Succeeded);
        Assert.Equal(Convert.ToBase64String(initial) + "\r\n", Encoding.ASCII.GetString(wire.WrittenSpan));
    }

    [Fact]
    public void TheInitialResponseCannotBeWrittenAgainOnceAChallengeWasAnswered()
    {
        var client = new XOAuth2SaslClient("user@example.com", "token");
        SaslExchange.InitialResponse(client);
        SaslExchange.Answer(client, "{\"status\":\"401\"}");

        Assert.Throws<InvalidOperationException>(() => client.WriteInitialResponse(new byte[256], out _, out _));
    }

    [Theory]
    [InlineData("dGltIGI5MTNh\r\n")]
    [InlineData("dGlt IGI5MTNh")]
    [InlineData("dGltIGI5\tMTNh")]
    [InlineData(" dGltIGI5MTNh")]
    public void AChallengeWithWhitespaceIsNotStrictBase64(string text)
    {
        Assert.Equal(SmtpCodecError.InvalidBase64, SaslClient.DecodeChallenge(Encoding.ASCII.GetBytes(text), new byte[64], out _));
    }

    [Theory]
    [InlineData("pass\r\nword")]
    [InlineData("pass\nword")]
    public void LineBreaksInPlainAndLoginCredentialsAreSentInBase64(string password)
    {
        Assert.Equal($"\0user\0{password}", SaslExchange.InitialResponse(new PlainSaslClient("user", password)));

        var login = new LoginSaslClient("user", password);
        SaslExchange.Answer(login, "Username:");
        Assert.Equal(password, SaslExchange.Answer(login, "Password:"));
    }

    [Fact]
    public void PlainRefusesNulBecauseItSeparatesTheFields()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new PlainSaslClient("user", "p\0q"));

        Assert.Equal("password", error.ParamName);
        Assert.Contains("NUL", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("framed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OAuthMechanismsRefuseControlABecauseItSeparatesTheirFields()
    {
        Assert.Equal("userName", Assert.Throws<ArgumentException>(() => new XOAuth2SaslClient("a\u0001b", "token")).ParamName);
        Assert.Equal("accessToken", Assert.Throws<ArgumentException>(() => new XOAuth2SaslClient("a", "to\u0001ken")).ParamName);
        Assert.Equal("host", Assert.Throws<ArgumentException>(() => new OAuthBearerSaslClient("a", "token", "h\u0001")).ParamName);
        Assert.Equal("userName", Assert.Throws<ArgumentException>(() => new OAuthBearerSaslClient("a\u0001", "token")).ParamName);
    }
}
