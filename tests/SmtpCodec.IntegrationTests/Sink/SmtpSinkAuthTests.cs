using System.Security.Cryptography;
using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>The sink's AUTH, each mechanism driven by the client's own SASL code through SmtpConnection, and raw edge cases.</summary>
public sealed class SmtpSinkAuthTests
{
    private const string User = "you@icloud.com";
    private const string Secret = "email-me-your-favorite-color";

    private static readonly SaslMechanismFlags s_all = SaslMechanismFlags.Plain | SaslMechanismFlags.Login | SaslMechanismFlags.XOAuth2
        | SaslMechanismFlags.OAuthBearer | SaslMechanismFlags.CramMd5 | SaslMechanismFlags.ScramSha256;

    public static TheoryData<SaslMechanism, bool> Mechanisms => new()
    {
        { SaslMechanism.Plain, true }, { SaslMechanism.Plain, false },
        { SaslMechanism.Login, true }, { SaslMechanism.Login, false },
        { SaslMechanism.XOAuth2, true }, { SaslMechanism.XOAuth2, false },
        { SaslMechanism.OAuthBearer, true }, { SaslMechanism.OAuthBearer, false },
        { SaslMechanism.CramMd5, true },
        { SaslMechanism.ScramSha256, true }, { SaslMechanism.ScramSha256, false },
    };

    [Theory]
    [MemberData(nameof(Mechanisms))]
    public async Task EachMechanismAuthenticatesAConfiguredUserOverStartTls(SaslMechanism mechanism, bool initialResponse)
    {
        await using SmtpSink sink = StartTlsSink();

        await using (SmtpConnection connection = await ConnectAsync(sink, mechanism, Secret, initialResponse))
        {
            Assert.True(connection.IsAuthenticated);
            Assert.Equal(mechanism, connection.AuthenticatedWith);
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope(User, "friend@gmail.com"), "hi\r\n"u8.ToArray());
            Assert.Equal(250, result.Reply.Code);
            await connection.QuitAsync();
        }

        Assert.Equal(1, sink.Messages);
    }

    [Theory]
    [InlineData(SaslMechanism.Plain)]
    [InlineData(SaslMechanism.Login)]
    [InlineData(SaslMechanism.XOAuth2)]
    [InlineData(SaslMechanism.OAuthBearer)]
    [InlineData(SaslMechanism.CramMd5)]
    [InlineData(SaslMechanism.ScramSha256)]
    public async Task EachMechanismRefusesAWrongSecretWith535(SaslMechanism mechanism)
    {
        await using SmtpSink sink = StartTlsSink();

        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => ConnectAsync(sink, mechanism, "not-" + Secret, initialResponse: true));

        Assert.Equal(535, error.ReplyCode);
        Assert.Equal("5.7.8", error.EnhancedStatusCode.ToString());
    }

    [Fact]
    public async Task ScramRefusesAnUnknownUserAfterTheProofAsItWouldAWrongPassword()
    {
        await using SmtpSink sink = StartTlsSink();
        var options = ClientOptions(sink, new SmtpCredentials("nobody@icloud.com", Secret, SaslMechanism.ScramSha256), initialResponse: true);

        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, options));

        Assert.Equal(535, error.ReplyCode);
    }

    [Fact]
    public async Task TheBestMechanismOfferedIsScramWhenAllAreConfigured()
    {
        await using SmtpSink sink = StartTlsSink();
        var transcript = new List<string>();
        SmtpConnectionOptions options = ClientOptions(sink, new SmtpCredentials(User, Secret), initialResponse: true, line => transcript.Add(line.ToString()));

        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, options);

        Assert.Equal(SaslMechanism.ScramSha256, connection.AuthenticatedWith);
        Assert.Contains("S: 250-AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER CRAM-MD5 SCRAM-SHA-256", transcript);
        await connection.QuitAsync();
    }

    [Fact]
    public async Task TheAuthLineOffersExactlyTheConfiguredMechanisms()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.Auth,
            AuthMechanisms = SaslMechanismFlags.CramMd5 | SaslMechanismFlags.OAuthBearer,
            Users = new Dictionary<string, string> { [User] = Secret },
        });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string ehlo = await client.CommandAsync("EHLO raw.test");
        string plain = await client.CommandAsync("AUTH PLAIN " + B64($"\0{User}\0{Secret}"));

        Assert.Contains("250-AUTH OAUTHBEARER CRAM-MD5\n", ehlo, StringComparison.Ordinal);
        Assert.Equal("504 5.5.4 Unrecognized authentication type", plain);
    }

    [Fact]
    public async Task AStarCancelsTheExchangeWith501AndAuthCanStartAgain()
    {
        await using SmtpSink sink = StartClearSink();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO raw.test");

        string challenge = await client.CommandAsync("AUTH LOGIN");
        string cancelled = await client.CommandAsync("*");
        string again = await client.CommandAsync("AUTH PLAIN " + B64($"\0{User}\0{Secret}"));

        Assert.Equal("334 VXNlcm5hbWU6", challenge);
        Assert.Equal("501 5.0.0 Authentication cancelled", cancelled);
        Assert.Equal("235 2.7.0 Authentication successful", again);
    }

    [Theory]
    [InlineData("AUTH PLAIN not*base64")]
    [InlineData("AUTH PLAIN AHlvdQ= =")]
    [InlineData("AUTH XOAUTH2 %%%%")]
    public async Task AResponseThatIsNotBase64GetsA501(string command)
    {
        await using SmtpSink sink = StartClearSink();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO raw.test");

        Assert.Equal("501 5.5.2 Cannot decode response", await client.CommandAsync(command));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task AnXOAuth2ResponseWithoutItsFieldsIsMalformed()
    {
        await using SmtpSink sink = StartClearSink();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO raw.test");

        Assert.Equal("501 5.5.2 Malformed XOAUTH2 response", await client.CommandAsync("AUTH XOAUTH2 " + B64($"user={User}\u0001\u0001")));
    }

    [Fact]
    public async Task AWrongOAuthBearerTokenGetsTheErrorChallengeThen535()
    {
        await using SmtpSink sink = StartClearSink();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO raw.test");

        string challenge = await client.CommandAsync("AUTH OAUTHBEARER " + B64($"n,a={User},\u0001auth=Bearer wrong\u0001\u0001"));
        string final = await client.CommandAsync(B64("\u0001"));

        Assert.StartsWith("334 ", challenge, StringComparison.Ordinal);
        Assert.Contains("invalid_token", Encoding.UTF8.GetString(Convert.FromBase64String(challenge[4..])), StringComparison.Ordinal);
        Assert.Equal("535 5.7.8 Authentication credentials invalid", final);
    }

    [Fact]
    public async Task EveryCramMd5ExchangeGetsAChallengeOfItsOwn()
    {
        await using SmtpSink sink = StartClearSink();
        var challenges = new HashSet<string>();
        for (int i = 0; i < 5; i++)
        {
            using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
            await client.CommandAsync("EHLO raw.test");
            string reply = await client.CommandAsync("AUTH CRAM-MD5");
            string challenge = Encoding.ASCII.GetString(Convert.FromBase64String(reply[4..]));
            Assert.Matches("^<[^@]+@sink.localhost>$", challenge);
            challenges.Add(challenge);

            // The client's answer is checked against that challenge (RFC 2195 section 2).
#pragma warning disable CA5351 // CRAM-MD5 is HMAC-MD5 by definition (RFC 2195).
            string digest = Convert.ToHexStringLower(HMACMD5.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes(challenge)));
#pragma warning restore CA5351
            Assert.Equal("235 2.7.0 Authentication successful", await client.CommandAsync(B64($"{User} {digest}")));
        }

        Assert.Equal(5, challenges.Count);
    }

    [Fact]
    public async Task EveryScramExchangeGetsAFreshNonceThatExtendsTheClientsAndTheUsersOneSalt()
    {
        await using SmtpSink sink = StartClearSink();
        var salts = new HashSet<string>();
        var nonces = new HashSet<string>();
        for (int i = 0; i < 3; i++)
        {
            using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
            await client.CommandAsync("EHLO raw.test");
            string reply = await client.CommandAsync("AUTH SCRAM-SHA-256 " + B64($"n,,n={User},r=clientnonce"));
            string serverFirst = Encoding.ASCII.GetString(Convert.FromBase64String(reply[4..]));
            Dictionary<string, string> fields = serverFirst.Split(',').ToDictionary(f => f[..1], f => f[2..]);

            Assert.StartsWith("clientnonce", fields["r"], StringComparison.Ordinal);
            Assert.True(fields["r"].Length > "clientnonce".Length + 16, serverFirst);
            Assert.True(int.Parse(fields["i"], System.Globalization.CultureInfo.InvariantCulture) >= 4096, serverFirst);
            Assert.Equal(16, Convert.FromBase64String(fields["s"]).Length);
            salts.Add(fields["s"]);
            nonces.Add(fields["r"]);
        }

        // A server stores one salt per user (RFC 5802 section 5): the salted password is computed once.
        Assert.Single(salts);
        Assert.Equal(3, nonces.Count);
    }

    [Fact]
    public async Task ScramAskingForChannelBindingIsMalformed()
    {
        await using SmtpSink sink = StartClearSink();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO raw.test");

        Assert.Equal(
            "501 5.5.2 Malformed SCRAM-SHA-256 message",
            await client.CommandAsync("AUTH SCRAM-SHA-256 " + B64($"p=tls-unique,,n={User},r=abc")));
    }

    [Fact]
    public async Task AResponseLineOverTheRfc4954LimitEndsTheExchangeWith500()
    {
        await using SmtpSink sink = StartClearSink();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO raw.test");
        await client.CommandAsync("AUTH PLAIN");

        // Longer than a command may be, within the 12288 octets of RFC 4954 section 4: still read as a response.
        string longButAllowed = await client.CommandAsync(new string('A', 4000));
        await client.CommandAsync("AUTH PLAIN");
        string tooLong = await client.CommandAsync(new string('A', 13000));

        Assert.Equal("535 5.7.8 Authentication credentials invalid", longButAllowed);
        Assert.Equal("500 5.5.6 Authentication Exchange line is too long", tooLong);
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task AuthIsRefusedBeforeEhloAndOnceAuthenticated()
    {
        await using SmtpSink sink = StartClearSink();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        string credentials = B64($"\0{User}\0{Secret}");

        string early = await client.CommandAsync("AUTH PLAIN " + credentials);
        await client.CommandAsync("EHLO raw.test");
        string first = await client.CommandAsync("AUTH PLAIN " + credentials);
        string second = await client.CommandAsync("AUTH PLAIN " + credentials);

        Assert.Equal("503 5.5.1 AUTH not allowed now", early);
        Assert.Equal("235 2.7.0 Authentication successful", first);
        Assert.Equal("503 5.5.1 Already authenticated", second);
    }

    [Fact]
    public async Task WithAuthenticationRequiredMailWaitsForASuccessfulAuth()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.Auth,
            Users = new Dictionary<string, string> { [User] = Secret },
            RequireAuthentication = true,
        });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO raw.test");

        string before = await client.CommandAsync("MAIL FROM:<a@b.c>");
        string wrong = await client.CommandAsync("AUTH PLAIN " + B64($"\0{User}\0not-{Secret}"));
        string stillBefore = await client.CommandAsync("MAIL FROM:<a@b.c>");
        await client.CommandAsync("AUTH PLAIN " + B64($"\0{User}\0{Secret}"));
        string after = await client.CommandAsync("MAIL FROM:<a@b.c>");

        Assert.Equal("530 5.7.0 Authentication required", before);
        Assert.StartsWith("535 ", wrong, StringComparison.Ordinal);
        Assert.Equal("530 5.7.0 Authentication required", stillBefore);
        Assert.Equal("250 2.1.0 Ok", after);
    }

    [Fact]
    public void AuthenticationCannotBeRequiredWithoutAuthOrUsers()
    {
        var noUsers = new SmtpSinkOptions { Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.Auth, RequireAuthentication = true };
        var noAuth = new SmtpSinkOptions { Users = new Dictionary<string, string> { [User] = Secret }, RequireAuthentication = true };

        Assert.Equal("RequireAuthentication", Assert.Throws<ArgumentException>(() => SmtpSink.Start(noUsers)).ParamName);
        Assert.Equal("RequireAuthentication", Assert.Throws<ArgumentException>(() => SmtpSink.Start(noAuth)).ParamName);
    }

    private static SmtpSink StartTlsSink() => SmtpSink.Start(new SmtpSinkOptions
    {
        Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.StartTls | EhloExtensions.Auth,
        AuthMechanisms = s_all,
        Users = new Dictionary<string, string> { [User] = Secret },
    });

    /// <summary>Without STARTTLS the sink offers AUTH in the clear: raw tests need no TLS.</summary>
    private static SmtpSink StartClearSink() => SmtpSink.Start(new SmtpSinkOptions
    {
        Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.Auth,
        AuthMechanisms = s_all,
        Users = new Dictionary<string, string> { [User] = Secret },
    });

    private static Task<SmtpConnection> ConnectAsync(SmtpSink sink, SaslMechanism mechanism, string secret, bool initialResponse) =>
        SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, ClientOptions(sink, new SmtpCredentials(User, secret, mechanism), initialResponse));

    private static SmtpConnectionOptions ClientOptions(SmtpSink sink, SmtpCredentials credentials, bool initialResponse, Action<SmtpTranscriptLine>? transcript = null) => new()
    {
        Transcript = transcript,
        EhloName = "client.test",
        Tls = new SmtpTlsOptions { PinnedCertificate = sink.Certificate, TargetHost = "localhost" },
        Credentials = credentials,
        SendInitialResponseWithAuth = initialResponse,
    };

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
