using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>AUTH through SmtpConnection with the codec's mechanisms, against scripted servers.</summary>
public sealed class SmtpConnectionAuthTests
{
    [Fact]
    public async Task CramMd5AnswersTheRfc2195Challenge()
    {
        var server = Greeted("CRAM-MD5 PLAIN")
            .Expect("AUTH CRAM-MD5").Send("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n")
            .Expect("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw").Send("235 2.7.0 Authentication successful\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        SaslMechanism used = await AuthenticateAsync(server, new SmtpCredentials("tim", "tanstaaftanstaaf"));

        Assert.Equal(SaslMechanism.CramMd5, used);
    }

    [Fact]
    public async Task LoginAnswersTheUsernameAndPasswordPrompts()
    {
        var server = Greeted("LOGIN")
            .Expect("AUTH LOGIN").Send("334 VXNlcm5hbWU6\r\n")
            .Expect(B64("you@example.com")).Send("334 UGFzc3dvcmQ6\r\n")
            .Expect(B64("hunter2")).Send("235 2.7.0 Authentication successful\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        Assert.Equal(SaslMechanism.Login, await AuthenticateAsync(server, new SmtpCredentials("you@example.com", "hunter2")));
    }

    [Fact]
    public async Task XOAuth2SendsTheTokenAsInitialResponse()
    {
        var server = Greeted("XOAUTH2 PLAIN")
            .Expect("AUTH XOAUTH2 " + B64("user=you@example.com\u0001auth=Bearer ya29.token\u0001\u0001")).Send("235 2.7.0 Accepted\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        Assert.Equal(SaslMechanism.XOAuth2, await AuthenticateAsync(server, new SmtpCredentials("you@example.com", "ya29.token", SaslMechanism.XOAuth2)));
    }

    [Fact]
    public async Task OAuthBearerSendsTheRfc7628InitialResponse()
    {
        string? decoded = null;
        var server = Greeted("OAUTHBEARER")
            .Respond(line =>
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(line["AUTH OAUTHBEARER ".Length..]));
                return "235 2.7.0 Accepted\r\n";
            })
            .Expect("QUIT").Send("221 Bye\r\n");

        Assert.Equal(SaslMechanism.OAuthBearer, await AuthenticateAsync(server, new SmtpCredentials("you@example.com", "ya29.token", SaslMechanism.OAuthBearer)));
        Assert.NotNull(decoded);
        Assert.StartsWith("n,a=you@example.com,", decoded, StringComparison.Ordinal);
        Assert.EndsWith("\u0001auth=Bearer ya29.token\u0001\u0001", decoded, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnXOAuth2ErrorChallengeGetsAnEmptyLineThenTheFailure()
    {
        var server = Greeted("XOAUTH2")
            .ExpectPrefix("AUTH XOAUTH2 ").Send("334 " + B64("{\"status\":\"401\",\"schemes\":\"bearer\"}") + "\r\n")
            .Expect("").Send("535 5.7.8 Username and Password not accepted\r\n")
            .ExpectClose();

        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => AuthenticateAsync(server, new SmtpCredentials("you@example.com", "expired", SaslMechanism.XOAuth2)));

        Assert.Equal(535, error.ReplyCode);
        Assert.Equal(SmtpPhase.Auth, error.Phase);
    }

    [Fact]
    public async Task AnInvalidBase64ChallengeCancelsWithAStar()
    {
        var server = Greeted("CRAM-MD5")
            .Expect("AUTH CRAM-MD5").Send("334 %%%not-base64%%%\r\n")
            .Expect("*").Send("501 5.7.0 Authentication cancelled\r\n")
            .ExpectClose();

        SmtpProtocolException error = await Assert.ThrowsAsync<SmtpProtocolException>(() => AuthenticateAsync(server, new SmtpCredentials("tim", "x")));

        Assert.Contains("not valid base64", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(534, "5.7.9 Authentication mechanism is too weak")]
    [InlineData(538, "5.7.11 Encryption required for requested authentication mechanism")]
    [InlineData(454, "4.7.0 Temporary authentication failure")]
    public async Task AuthFailuresCarryTheirCodeAndWhetherTheyAreTransient(int code, string text)
    {
        var server = Greeted("PLAIN")
            .ExpectPrefix("AUTH PLAIN ").Send($"{code} {text}\r\n")
            .ExpectClose();

        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => AuthenticateAsync(server, new SmtpCredentials("you@example.com", "pw")));

        Assert.Equal(code, error.ReplyCode);
        Assert.Equal(code / 100 == 4, error.IsTransient);
        Assert.Equal(text[..text.IndexOf(' ', StringComparison.Ordinal)], error.EnhancedStatusCode.ToString());
    }

    [Fact]
    public async Task AMechanismTheServerDoesNotOfferIsRefusedWithoutSendingAuth()
    {
        var server = Greeted("PLAIN LOGIN").ExpectClose();

        SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => AuthenticateAsync(server, new SmtpCredentials("you@example.com", "pw", SaslMechanism.CramMd5)));

        Assert.Contains("does not offer CRAM-MD5", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Received, l => l.StartsWith("AUTH", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALongTokenIsSentAfterThe334WhenAuthWithItWouldPass512Octets()
    {
        string token = "ya29." + new string('t', 2000);
        string response = B64($"user=you@example.com\u0001auth=Bearer {token}\u0001\u0001");
        var server = Greeted("XOAUTH2")
            .Expect("AUTH XOAUTH2").Send("334 \r\n")
            .Expect(response).Send("235 2.7.0 Accepted\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        Assert.Equal(SaslMechanism.XOAuth2, await AuthenticateAsync(server, new SmtpCredentials("you@example.com", token, SaslMechanism.XOAuth2)));
        Assert.True(response.Length > 2000);
    }

    private static ScriptedSmtpServer Greeted(string mechanisms) => new ScriptedSmtpServer()
        .Send("220 mx.test ESMTP\r\n")
        .Expect("EHLO client.test").Send($"250-mx.test\r\n250 AUTH {mechanisms}\r\n");

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static async Task<SaslMechanism> AuthenticateAsync(ScriptedSmtpServer server, SmtpCredentials credentials)
    {
        (Stream client, Stream serverStream) = DuplexStream.CreatePair();
        Task serving = server.RunAsync(serverStream);
        try
        {
            await using SmtpConnection connection = await SmtpConnection.OpenAsync(client, "mx.test", new SmtpConnectionOptions
            {
                TlsMode = SmtpTlsMode.None,
                EhloName = "client.test",
                AllowAuthenticationWithoutTls = true,
                Credentials = credentials,
            });
            SaslMechanism used = connection.AuthenticatedWith;
            await connection.QuitAsync();
            await serving;
            return used;
        }
        catch when (serving.IsFaulted)
        {
            await serving;
            throw;
        }
        finally
        {
            await serving.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
