using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>Credentials asked per connection; a refused access token is refreshed once and AUTH tried again.</summary>
public sealed class SmtpCredentialsProviderTests
{
    private const string Ehlo = "250-mx.test\r\n250 AUTH XOAUTH2\r\n";

    [Fact]
    public async Task ARefusedTokenIsRefreshedOnceAndAuthSucceedsOnTheSameConnection()
    {
        var requests = new List<SmtpCredentialsRequest>();
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send(Ehlo)
            .Expect($"AUTH XOAUTH2 {Token("expired")}").Send("535 5.7.8 Token expired\r\n")
            .Expect($"AUTH XOAUTH2 {Token("fresh")}").Send("235 2.7.0 Accepted\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async connection =>
        {
            Assert.True(connection.IsAuthenticated);
            await connection.QuitAsync();
        }, Options(requests));

        Assert.Equal(2, requests.Count);
        Assert.False(requests[0].IsRefresh);
        Assert.Equal("mx.test", requests[0].Host);
        Assert.True(requests[1].IsRefresh);
        Assert.Equal(535, requests[1].RefusedWith.Code);
    }

    [Fact]
    public async Task AFreshTokenThatIsRefusedTooFailsWithoutAThirdRequest()
    {
        var requests = new List<SmtpCredentialsRequest>();
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send(Ehlo)
            .Expect($"AUTH XOAUTH2 {Token("expired")}").Send("535 5.7.8 Token expired\r\n")
            .Expect($"AUTH XOAUTH2 {Token("fresh")}").Send("535 5.7.8 Still no\r\n")
            .ExpectClose();
        (Stream client, Stream serverStream) = DuplexStream.CreatePair();
        Task serving = server.RunAsync(serverStream);

        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => SmtpConnection.OpenAsync(client, "mx.test", Options(requests)));
        await serving;

        Assert.Equal(535, error.ReplyCode);
        Assert.Equal(2, requests.Count);
    }

    [Fact]
    public async Task FixedCredentialsAndAProviderTogetherAreRefused()
    {
        (Stream client, _) = DuplexStream.CreatePair();
        var options = new SmtpConnectionOptions
        {
            Credentials = new SmtpCredentials("you@example.com", "secret"),
            CredentialsProvider = (_, _) => ValueTask.FromResult(new SmtpCredentials("you@example.com", "secret")),
        };

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => SmtpConnection.OpenAsync(client, "mx.test", options));
        Assert.Contains("not both", error.Message, StringComparison.Ordinal);
    }

    private static SmtpConnectionOptions Options(List<SmtpCredentialsRequest> requests) => new()
    {
        TlsMode = SmtpTlsMode.None,
        EhloName = "client.test",
        AllowAuthenticationWithoutTls = true,
        CredentialsProvider = (request, _) =>
        {
            requests.Add(request);
            return ValueTask.FromResult(new SmtpCredentials("you@example.com", request.IsRefresh ? "fresh" : "expired", SaslMechanism.XOAuth2));
        },
    };

    private static string Token(string token) =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"user=you@example.com\u0001auth=Bearer {token}\u0001\u0001"));
}
