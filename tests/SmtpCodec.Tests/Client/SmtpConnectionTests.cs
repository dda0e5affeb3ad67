using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>SmtpConnection against a scripted server over an in-memory duplex pipe and loopback TCP.</summary>
public sealed class SmtpConnectionTests
{
    private const string PlainEhlo = "250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 1000000\r\n250 ENHANCEDSTATUSCODES\r\n";

    internal static readonly SmtpConnectionOptions s_cleartext = new() { TlsMode = SmtpTlsMode.None, EhloName = "client.test" };

    [Fact]
    public async Task GreetingEhloAndQuitOverAnInMemoryPipe()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send(PlainEhlo)
            .Expect("QUIT").Send("221 2.0.0 Bye\r\n")
            .ExpectClose();

        await RunAsync(server, async connection =>
        {
            Assert.Equal(220, connection.Greeting.Code);
            Assert.True(connection.Capabilities.Supports(EhloKeyword.Pipelining));
            Assert.Equal(1000000UL, connection.Capabilities.SizeLimit);
            Assert.False(connection.IsEncrypted);
            await connection.QuitAsync();
            Assert.False(connection.IsConnected);
        });
    }

    [Fact]
    public async Task HeloIsTheFallbackWhenEhloIsUnknown()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 old.test SMTP\r\n")
            .Expect("EHLO client.test").Send("502 5.5.1 Command not recognized\r\n")
            .Expect("HELO client.test").Send("250 old.test\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async connection =>
        {
            Assert.True(connection.UsedHelo);
            Assert.Equal(EhloExtensions.None, connection.Capabilities.Extensions);
            await connection.QuitAsync();
        });
    }

    [Fact]
    public async Task A554GreetingFailsWithTheReply()
    {
        var server = new ScriptedSmtpServer().Send("554 5.7.1 No SMTP service here\r\n").ExpectClose();

        SmtpReplyException error = await OpenFailsAsync<SmtpReplyException>(server, s_cleartext);

        Assert.Equal(SmtpPhase.Greeting, error.Phase);
        Assert.Equal(554, error.ReplyCode);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task StartTlsRequiredButNotOfferedFailsBeforeAnythingElseIsSent()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250 AUTH PLAIN\r\n")
            .ExpectClose();

        SmtpException error = await OpenFailsAsync<SmtpException>(server, new SmtpConnectionOptions
        {
            EhloName = "client.test",
            Credentials = new SmtpCredentials("you@example.com", "secret"),
            AllowAuthenticationWithoutTls = true,
        });

        Assert.Equal(SmtpPhase.StartTls, error.Phase);
        Assert.Equal(["EHLO client.test"], server.Received);
    }

    [Fact]
    public async Task StartTlsRefusedUnderTheRequiredPolicyFailsBeforeAuth()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
            .Expect("STARTTLS").Send("454 4.7.0 TLS not available due to temporary reason\r\n")
            .ExpectClose();

        SmtpReplyException error = await OpenFailsAsync<SmtpReplyException>(server, new SmtpConnectionOptions
        {
            EhloName = "client.test",
            Credentials = new SmtpCredentials("you@example.com", "secret"),
        });

        Assert.Equal(SmtpPhase.StartTls, error.Phase);
        Assert.Equal(454, error.ReplyCode);
        Assert.True(error.IsTransient);
        Assert.DoesNotContain(server.Received, line => line.StartsWith("AUTH", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PlaintextInjectedAfterThe220ToStartTlsFailsTheConnection()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250 STARTTLS\r\n")
            .Expect("STARTTLS").Send("220 2.0.0 Ready to start TLS\r\n250-injected.test\r\n250 AUTH PLAIN\r\n")
            .ExpectClose();

        SmtpProtocolException error = await OpenFailsAsync<SmtpProtocolException>(server, new SmtpConnectionOptions { EhloName = "client.test" });

        Assert.Equal(SmtpPhase.StartTls, error.Phase);
        Assert.Contains("after its 220 to STARTTLS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartTlsUpgradesReadsTheCapabilitiesAgainAndAuthenticates()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 localhost ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-localhost\r\n250-STARTTLS\r\n250 SIZE 10\r\n")
            .Expect("STARTTLS").Send("220 2.0.0 Ready to start TLS\r\n")
            .StartTls()
            .Expect("EHLO client.test").Send("250-localhost\r\n250-PIPELINING\r\n250 AUTH LOGIN PLAIN\r\n")
            .Expect("AUTH PLAIN AHlvdUBpY2xvdWQuY29tAGVtYWlsLW1lLXlvdXItZmF2b3JpdGUtY29sb3I=").Send("235 2.7.0 Authentication successful\r\n")
            .Expect("QUIT").Send("221 2.0.0 Bye\r\n");
        (int port, Task completion) = server.ListenOnce();
        var transcript = new List<SmtpTranscriptLine>();

        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("localhost", port, new SmtpConnectionOptions
        {
            EhloName = "client.test",
            Tls = new SmtpTlsOptions { PinnedCertificate = TestCertificates.Localhost },
            Credentials = new SmtpCredentials("you@icloud.com", "email-me-your-favorite-color"),
            Transcript = transcript.Add,
        }))
        {
            Assert.True(connection.IsEncrypted);
            Assert.True(connection.Capabilities.Supports(EhloKeyword.Pipelining));
            Assert.False(connection.Capabilities.Supports(EhloKeyword.Size));
            Assert.True(connection.IsAuthenticated);
            Assert.Equal(SaslMechanism.Plain, connection.AuthenticatedWith);
            await connection.QuitAsync();
        }

        await completion;
        Assert.Contains(transcript, l => l.Direction == SmtpTranscriptDirection.Client && l.Text == "AUTH PLAIN <redacted>");
        Assert.Contains(transcript, l => l.Direction == SmtpTranscriptDirection.Note && l.Text.StartsWith("TLS established", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ImplicitTlsHandshakesBeforeTheGreeting()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 localhost ESMTP\r\n")
            .Expect("EHLO client.test").Send("250 localhost\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");
        (int port, Task completion) = server.ListenOnce(implicitTls: true);

        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("localhost", port, new SmtpConnectionOptions
        {
            EhloName = "client.test",
            TlsMode = SmtpTlsMode.Implicit,
            Tls = new SmtpTlsOptions { PinnedCertificate = TestCertificates.Localhost },
        }))
        {
            Assert.True(connection.IsEncrypted);
            await connection.QuitAsync();
        }

        await completion;
    }

    [Theory]
    [InlineData(SmtpTlsMode.ByPort, 465, SmtpTlsMode.Implicit)]
    [InlineData(SmtpTlsMode.ByPort, 587, SmtpTlsMode.StartTlsRequired)]
    [InlineData(SmtpTlsMode.ByPort, 25, SmtpTlsMode.StartTlsRequired)]
    [InlineData(SmtpTlsMode.ByPort, null, SmtpTlsMode.StartTlsRequired)]
    [InlineData(SmtpTlsMode.None, 465, SmtpTlsMode.None)]
    [InlineData(SmtpTlsMode.StartTlsIfAvailable, 25, SmtpTlsMode.StartTlsIfAvailable)]
    [InlineData(SmtpTlsMode.Implicit, 2465, SmtpTlsMode.Implicit)]
    public void TheDefaultTlsModeFollowsThePortAndIsNeverCleartext(SmtpTlsMode mode, int? port, SmtpTlsMode expected)
    {
        // End to end on port 465 against a real server: TlsByPortInteropTests (only one test may bind that port).
        Assert.Equal(SmtpTlsMode.ByPort, new SmtpConnectionOptions().TlsMode);
        Assert.Equal(expected, SmtpConnection.ResolveTlsMode(mode, port));
    }

    [Fact]
    public async Task AnUntrustedCertificateFailsTheHandshakeByDefault()
    {
        var server = new ScriptedSmtpServer();
        (int port, Task completion) = server.ListenOnce(implicitTls: true);

        SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => SmtpConnection.ConnectAsync("localhost", port, new SmtpConnectionOptions { TlsMode = SmtpTlsMode.Implicit }));

        Assert.Equal(SmtpPhase.Connect, error.Phase);
        Assert.Contains("TLS handshake", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);

        // The cause, on one line: the chain's status and the certificate, not "see inner exception".
        Assert.Contains("the certificate chain is not trusted: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("subject CN=localhost", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("inner exception", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        await completion.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Fact]
    public async Task ACertificateOtherThanThePinnedOneIsNamedInTheFailure()
    {
        using var other = System.Security.Cryptography.ECDsa.Create();
        using X509Certificate2 pinned = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=other.test", other, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var server = new ScriptedSmtpServer();
        (int port, Task completion) = server.ListenOnce(implicitTls: true);

        SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => SmtpConnection.ConnectAsync("localhost", port, new SmtpConnectionOptions
        {
            TlsMode = SmtpTlsMode.Implicit,
            Tls = new SmtpTlsOptions { PinnedCertificate = pinned },
        }));

        Assert.Contains("is not the pinned one (subject CN=other.test", error.Message, StringComparison.Ordinal);
        Assert.Contains("subject CN=localhost", error.Message, StringComparison.Ordinal);
        await completion.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Fact]
    public async Task NobodyListeningIsTransientAndSaysWhy()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => SmtpConnection.ConnectAsync("127.0.0.1", port, new SmtpConnectionOptions()));

        Assert.True(error.IsTransient);
        Assert.Contains("ConnectionRefused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthPlainWithoutInitialResponseAnswersTheBare334AsInTheArticle()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250 AUTH LOGIN PLAIN ATOKEN XOAUTH2\r\n")
            .Expect("AUTH PLAIN").Send("334\r\n")
            .Expect("AHlvdUBpY2xvdWQuY29tAGVtYWlsLW1lLXlvdXItZmF2b3JpdGUtY29sb3I=").Send("235 2.7.0 Authentication successful\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");
        var transcript = new List<string>();

        await RunAsync(server, async connection =>
        {
            Assert.True(connection.IsAuthenticated);
            await connection.QuitAsync();
        }, new SmtpConnectionOptions
        {
            TlsMode = SmtpTlsMode.None,
            EhloName = "client.test",
            AllowAuthenticationWithoutTls = true,
            SendInitialResponseWithAuth = false,
            ShowSecretsInTranscript = true,
            Credentials = new SmtpCredentials("you@icloud.com", "email-me-your-favorite-color", SaslMechanism.Plain),
            Transcript = line => transcript.Add(line.ToString()),
        });

        Assert.Equal(
            ["S: 220 mx.test ESMTP", "C: EHLO client.test", "S: 250-mx.test", "S: 250 AUTH LOGIN PLAIN ATOKEN XOAUTH2", "C: AUTH PLAIN", "S: 334",
             "C: AHlvdUBpY2xvdWQuY29tAGVtYWlsLW1lLXlvdXItZmF2b3JpdGUtY29sb3I=", "S: 235 2.7.0 Authentication successful", "C: QUIT", "S: 221 Bye"],
            transcript);
    }

    [Theory]
    [InlineData(SaslMechanism.None)]
    [InlineData(SaslMechanism.Plain)]
    [InlineData(SaslMechanism.Login)]
    [InlineData(SaslMechanism.XOAuth2)]
    [InlineData(SaslMechanism.OAuthBearer)]
    [InlineData(SaslMechanism.CramMd5)]
    [InlineData(SaslMechanism.ScramSha256)]
    public async Task NoMechanismRunsWithoutTlsUnlessAllowed(SaslMechanism mechanism)
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250 AUTH LOGIN PLAIN XOAUTH2 OAUTHBEARER CRAM-MD5 SCRAM-SHA-256\r\n")
            .ExpectClose();

        SmtpException error = await OpenFailsAsync<SmtpException>(server, new SmtpConnectionOptions
        {
            TlsMode = SmtpTlsMode.None,
            EhloName = "client.test",
            Credentials = new SmtpCredentials("you@example.com", "secret", mechanism),
        });

        Assert.Equal(SmtpPhase.Auth, error.Phase);
        Assert.False(error.IsTransient);
        Assert.Contains("without TLS would expose the credentials", error.Message, StringComparison.Ordinal);
        Assert.Contains("AllowAuthenticationWithoutTls", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A535IsAnAuthFailureWithItsCodes()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250 AUTH PLAIN\r\n")
            .ExpectPrefix("AUTH PLAIN ").Send("535 5.7.8 Authentication credentials invalid\r\n")
            .ExpectClose();

        SmtpReplyException error = await OpenFailsAsync<SmtpReplyException>(server, new SmtpConnectionOptions
        {
            TlsMode = SmtpTlsMode.None,
            EhloName = "client.test",
            AllowAuthenticationWithoutTls = true,
            Credentials = new SmtpCredentials("you@example.com", "wrong"),
        });

        Assert.Equal(SmtpPhase.Auth, error.Phase);
        Assert.Equal(535, error.ReplyCode);
        Assert.Equal("5.7.8", error.EnhancedStatusCode.ToString());
    }

    [Fact]
    public async Task APipelinedTransactionSendsMailRcptsAndDataInOneWriteAndKeepsEachRecipientsReply()
    {
        // The script reads all four commands before it answers: a client that waited for each reply would hang.
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send(PlainEhlo)
            .Expect("MAIL FROM:<you@example.com> SIZE=35")
            .Expect("RCPT TO:<friend@example.com>")
            .Expect("RCPT TO:<nobody@example.com>")
            .Expect("DATA")
            .Send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n354 End data with <CR><LF>.<CR><LF>\r\n")
            .ExpectContent().Send("250 2.0.0 Ok: queued as 343FD5003CE\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async connection =>
        {
            SmtpSendResult result = await connection.SendAsync(
                new SmtpEnvelope("you@example.com", "friend@example.com", "nobody@example.com"),
                "Subject: hi\r\n\r\n.dot first\nbare LF\r\n"u8.ToArray());

            Assert.Equal(250, result.Reply.Code);
            Assert.Equal("2.0.0 Ok: queued as 343FD5003CE", result.Reply.Text);
            Assert.Equal(1, result.DeliveredCount);
            Assert.True(result.Recipients[0].Delivered);
            Assert.Equal(550, result.Recipients[1].Reply.Code);
            await connection.QuitAsync();
        });

        Assert.Equal("Subject: hi\r\n\r\n..dot first\r\nbare LF\r\n", Encoding.ASCII.GetString(server.Messages.Single()));
    }

    [Fact]
    public async Task WhenEveryRecipientFailsButDataGets354TheLoneTerminatorEndsItThenRset()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send(PlainEhlo)
            .Expect("MAIL FROM:<you@example.com> SIZE=5")
            .Expect("RCPT TO:<a@example.com>")
            .Expect("RCPT TO:<b@example.com>")
            .Expect("DATA")
            .Send("250 2.1.0 Ok\r\n550 5.1.1 no a\r\n550 5.1.1 no b\r\n354 go ahead\r\n")
            .Expect(".").Send("554 5.5.1 No valid recipients\r\n")
            .Expect("RSET").Send("250 2.0.0 Ok\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async connection =>
        {
            SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() =>
                connection.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com", "b@example.com"), "hello"u8.ToArray()));

            Assert.Equal(SmtpPhase.Rcpt, error.Phase);
            Assert.Equal(550, error.ReplyCode);
            Assert.True(connection.IsConnected);
            await connection.QuitAsync();
        });
    }

    [Fact]
    public async Task WithoutPipeliningEachCommandWaitsForItsReply()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250 8BITMIME\r\n")
            .Expect("MAIL FROM:<you@example.com>").Send("250 2.1.0 Ok\r\n")
            .Expect("RCPT TO:<friend@example.com>").Send("250 2.1.5 Ok\r\n")
            .Expect("DATA").Send("354 go ahead\r\n")
            .ExpectContent().Send("250 2.0.0 Ok: queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async connection =>
        {
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("you@example.com", "friend@example.com"), "hi"u8.ToArray());
            Assert.Equal(250, result.Reply.Code);
            await connection.QuitAsync();
        });
    }

    [Fact]
    public async Task A421AtMailClosesTheConnection()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250 mx.test\r\n")
            .Expect("MAIL FROM:<you@example.com>").Send("421 4.3.2 Shutting down\r\n")
            .ExpectClose();

        await RunAsync(server, async connection =>
        {
            SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() =>
                connection.SendAsync(new SmtpEnvelope("you@example.com", "friend@example.com"), "hi"u8.ToArray()));
            Assert.Equal(421, error.ReplyCode);
            Assert.Equal(SmtpPhase.Mail, error.Phase);
            Assert.True(error.IsTransient);
            Assert.False(connection.IsConnected);
        });
    }

    [Fact]
    public async Task AGreetingThatNeverComesTimesOut()
    {
        (Stream client, Stream server) = DuplexStream.CreatePair();
        await using (server)
        {
            SmtpTimeoutException error = await Assert.ThrowsAsync<SmtpTimeoutException>(() => SmtpConnection.OpenAsync(client, "mx.test", new SmtpConnectionOptions
            {
                TlsMode = SmtpTlsMode.None,
                Timeouts = new SmtpTimeouts { Greeting = TimeSpan.FromMilliseconds(200) },
            }));

            Assert.Equal(SmtpPhase.Greeting, error.Phase);
            Assert.True(error.IsTransient);
        }
    }

    [Fact]
    public async Task CancellationStopsTheWaitAndClosesTheConnection()
    {
        (Stream client, Stream server) = DuplexStream.CreatePair();
        await using (server)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SmtpConnection.OpenAsync(client, "mx.test", s_cleartext, cancel.Token));
        }
    }

    [Fact]
    public async Task TheServerClosingMidReplyIsATransientProtocolFailure()
    {
        var server = new ScriptedSmtpServer().Send("220-mx.test ESMTP\r\n220-still").Close();

        SmtpProtocolException error = await OpenFailsAsync<SmtpProtocolException>(server, s_cleartext);

        Assert.Equal(SmtpPhase.Greeting, error.Phase);
        Assert.Contains("in the middle of a reply", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsTransient, error.Message);
    }

    [Fact]
    public async Task AnInvalidReplyIsAProtocolFailureNamingTheError()
    {
        var server = new ScriptedSmtpServer().Send("220-mx.test\r\n221 odd\r\n").ExpectClose();

        SmtpProtocolException error = await OpenFailsAsync<SmtpProtocolException>(server, s_cleartext);

        Assert.Contains("MismatchedContinuationCode", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task AnAddressWithCrLfIsRejectedBeforeAnythingIsSent()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send(PlainEhlo)
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async connection =>
        {
            await Assert.ThrowsAsync<ArgumentException>(() =>
                connection.SendAsync(new SmtpEnvelope("you@example.com\r\nRCPT TO:<victim@example.com>", "friend@example.com"), "hi"u8.ToArray()));
            await connection.QuitAsync();
        });

        Assert.DoesNotContain(server.Received, line => line.StartsWith("MAIL", StringComparison.Ordinal) || line.StartsWith("RCPT", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LimitsRcptMaxSplitsTheRecipientsIntoTransactionsEachWithTheContent()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250-PIPELINING\r\n250 LIMITS RCPTMAX=2\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<a@example.com>").Expect("RCPT TO:<b@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go\r\n")
            .ExpectContent().Send("250 2.0.0 queued as ONE\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<c@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n354 go\r\n")
            .ExpectContent().Send("250 2.0.0 queued as TWO\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async connection =>
        {
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com", "b@example.com", "c@example.com"), "hi"u8.ToArray());

            Assert.Equal(2, result.Transactions);
            Assert.Equal(3, result.DeliveredCount);
            Assert.Equal("2.0.0 queued as ONE", result.Recipients[1].Reply.Text);
            Assert.Equal("2.0.0 queued as TWO", result.Recipients[2].Reply.Text);
            await connection.QuitAsync();
        });

        Assert.Equal(2, server.Messages.Count);
        Assert.Equal(server.Messages[0], server.Messages[1]);
    }

    [Fact]
    public async Task A452TooManyRecipientsMovesTheRestToAFurtherTransaction()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send(PlainEhlo)
            .Expect("MAIL FROM:<you@example.com> SIZE=2").Expect("RCPT TO:<a@example.com>").Expect("RCPT TO:<b@example.com>").Expect("RCPT TO:<c@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n452 4.5.3 Too many recipients\r\n452 4.5.3 Too many recipients\r\n354 go\r\n")
            .ExpectContent().Send("250 2.0.0 queued as ONE\r\n")
            .Expect("MAIL FROM:<you@example.com> SIZE=2").Expect("RCPT TO:<b@example.com>").Expect("RCPT TO:<c@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n550 5.1.1 No such user\r\n354 go\r\n")
            .ExpectContent().Send("250 2.0.0 queued as TWO\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async connection =>
        {
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com", "b@example.com", "c@example.com"), "hi"u8.ToArray());

            Assert.Equal(2, result.Transactions);
            Assert.Equal([true, true, false], result.Recipients.Select(r => r.Delivered));
            Assert.Equal(550, result.Recipients[2].Reply.Code);
            await connection.QuitAsync();
        });
    }

    [Fact]
    public async Task ARefusedMessageIsAnEndOfDataFailureFollowedByRset()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send(PlainEhlo)
            .Expect("MAIL FROM:<you@example.com> SIZE=4").Expect("RCPT TO:<a@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n354 go\r\n")
            .ExpectContent().Send("554 5.6.0 Message content rejected\r\n")
            .Expect("RSET").Send("250 Ok\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async connection =>
        {
            SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => connection.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), "spam"u8.ToArray()));
            Assert.Equal(SmtpPhase.EndOfData, error.Phase);
            Assert.Equal(554, error.ReplyCode);
            await connection.QuitAsync();
        });
    }

    internal static async Task RunAsync(ScriptedSmtpServer server, Func<SmtpConnection, Task> client, SmtpConnectionOptions? options = null)
    {
        (Stream clientStream, Stream serverStream) = DuplexStream.CreatePair();
        Task serving = server.RunAsync(serverStream);
        try
        {
            await using SmtpConnection connection = await SmtpConnection.OpenAsync(clientStream, "mx.test", options ?? s_cleartext);
            await client(connection);
        }
        catch when (serving.IsFaulted)
        {
            await serving; // the script's own failure says more than the client's
        }

        await serving;
    }

    private static async Task<T> OpenFailsAsync<T>(ScriptedSmtpServer server, SmtpConnectionOptions options)
        where T : Exception
    {
        (Stream clientStream, Stream serverStream) = DuplexStream.CreatePair();
        Task serving = server.RunAsync(serverStream);
        T error = await Assert.ThrowsAsync<T>(() => SmtpConnection.OpenAsync(clientStream, "mx.test", options));
        await serving;
        return error;
    }
}
