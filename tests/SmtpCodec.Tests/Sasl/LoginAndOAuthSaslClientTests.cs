using SmtpCodec.Protocol;
using SmtpCodec.Sasl;

namespace SmtpCodec.Tests.Sasl;

public sealed class LoginAndOAuthSaslClientTests
{
    [Fact]
    public void LoginAnswersTheUserNameThenThePassword()
    {
        var client = new LoginSaslClient("you@icloud.com", "secret");

        Assert.False(client.HasInitialResponse);
        Assert.Equal("you@icloud.com", SaslExchange.Answer(client, "Username:"));
        Assert.False(client.IsComplete);
        Assert.Equal("secret", SaslExchange.Answer(client, "Password:"));
        Assert.True(client.IsComplete);
        Assert.Equal(SmtpCodecError.InvalidServerChallenge, SaslExchange.Refusal(client, "Again:"));
    }

    [Fact]
    public void XOAuth2SendsUserAndBearerTokenSeparatedByControlA()
    {
        var client = new XOAuth2SaslClient("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");

        Assert.Equal("user=someuser@example.com\u0001auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\u0001\u0001", SaslExchange.InitialResponse(client));
        Assert.Equal("", SaslExchange.Answer(client, "{\"status\":\"401\"}"));
        Assert.True(client.ServerReportedError);
    }

    [Fact]
    public void OAuthBearerFollowsTheRfc7628Example()
    {
        // RFC 7628 section 4.1.
        var client = new OAuthBearerSaslClient("user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", "server.example.com", 143);

        Assert.Equal(
            "n,a=user@example.com,\u0001host=server.example.com\u0001port=143\u0001auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\u0001\u0001",
            SaslExchange.InitialResponse(client));
        Assert.Equal("\u0001", SaslExchange.Answer(client, "{\"status\":\"invalid_token\"}"));
        Assert.True(client.ServerReportedError);
    }

    [Fact]
    public void OAuthBearerEscapesCommaAndEqualsInTheUserName()
    {
        Assert.StartsWith("n,a=a=2Cb=3Dc,\u0001auth=", SaslExchange.InitialResponse(new OAuthBearerSaslClient("a,b=c", "t")), StringComparison.Ordinal);
    }

    [Fact]
    public void OAuthBearerSendsNonAsciiUserNamesAsUtf8()
    {
        Assert.StartsWith("n,a=\U0001F600=2Cé,\u0001auth=", SaslExchange.InitialResponse(new OAuthBearerSaslClient("\U0001F600,é", "t")), StringComparison.Ordinal);
    }

    [Fact]
    public void CramMd5AnswersTheRfc2195Example()
    {
        var client = new CramMd5SaslClient("tim", "tanstaaftanstaaf");

        string response = SaslExchange.Answer(client, "<1896.697170952@postoffice.reston.mci.net>");

        Assert.Equal("tim b913a602c7eda7a495b4e6e7334d3890", response);
        Assert.Equal("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", SaslExchange.Base64(response));
        Assert.True(client.IsComplete);
    }

    [Fact]
    public void EveryMechanismTheTableMarksAsClientSupportedHasAClient()
    {
        foreach (SaslMechanism mechanism in SaslMechanismNames.All)
        {
            if (SaslMechanismNames.IsClientSupported(mechanism))
            {
                Assert.Equal(mechanism, SaslClient.Create(mechanism, "user", "secret").Mechanism);
            }
            else
            {
                Assert.Throws<ArgumentException>(() => SaslClient.Create(mechanism, "user", "secret"));
            }
        }
    }

    [Theory]
    [InlineData("dGltIGI5MTNh", "tim b913a")]
    [InlineData("", "")]
    public void ChallengesAreDecodedFromBase64(string text, string expected)
    {
        var challenge = new byte[64];

        Assert.Equal(SmtpCodecError.None, SaslClient.DecodeChallenge(System.Text.Encoding.ASCII.GetBytes(text), challenge, out int written));
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(challenge, 0, written));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("YWJ")]
    public void AChallengeThatIsNotBase64IsAnError(string text)
    {
        Assert.Equal(SmtpCodecError.InvalidBase64, SaslClient.DecodeChallenge(System.Text.Encoding.ASCII.GetBytes(text), new byte[64], out _));
    }
}
