using System.Security.Cryptography;
using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>SCRAM-SHA-256 (RFC 5802, RFC 7677) through SmtpConnection against a scripted server that computes its side.</summary>
public sealed class SmtpConnectionScramTests
{
    [Fact]
    public async Task ScramSha256IsChosenFirstAndTheServerSignatureIsChecked()
    {
        var scram = new ScramServer("pencil", forgeSignature: false);
        var server = Script(scram)
            .Expect("").Send("235 2.7.0 Authentication successful\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        SaslMechanism used = await RunAsync(server, "pencil");

        Assert.Equal(SaslMechanism.ScramSha256, used);
        Assert.True(scram.ProofWasValid);
    }

    [Fact]
    public async Task AWrongServerSignatureCancelsTheExchange()
    {
        var scram = new ScramServer("pencil", forgeSignature: true);
        var server = Script(scram)
            .Expect("*").Send("501 5.7.0 Authentication cancelled\r\n")
            .ExpectClose();

        SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => RunAsync(server, "pencil"));

        Assert.Equal(SmtpPhase.Auth, error.Phase);
        Assert.Contains("cancelled", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWrongPasswordIsRefusedByTheServer()
    {
        var scram = new ScramServer("pencil", forgeSignature: false);
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250 AUTH PLAIN SCRAM-SHA-256 CRAM-MD5\r\n")
            .Respond(scram.ServerFirst)
            .Respond(_ => "535 5.7.8 Authentication credentials invalid\r\n")
            .ExpectClose();

        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => RunAsync(server, "not-pencil"));

        Assert.Equal(535, error.ReplyCode);
    }

    private static ScriptedSmtpServer Script(ScramServer scram) => new ScriptedSmtpServer()
        .Send("220 mx.test ESMTP\r\n")
        .Expect("EHLO client.test").Send("250-mx.test\r\n250 AUTH PLAIN SCRAM-SHA-256 CRAM-MD5\r\n")
        .Respond(scram.ServerFirst)
        .Respond(scram.ServerFinal);

    private static async Task<SaslMechanism> RunAsync(ScriptedSmtpServer server, string password)
    {
        SaslMechanism used = SaslMechanism.None;
        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            used = c.AuthenticatedWith;
            await c.QuitAsync();
        }, new SmtpConnectionOptions
        {
            TlsMode = SmtpTlsMode.None,
            AllowAuthenticationWithoutTls = true,
            EhloName = "client.test",
            Credentials = new SmtpCredentials("user", password),
        });
        return used;
    }

    /// <summary>The server side of SCRAM-SHA-256 (RFC 5802 section 3), enough to check the client.</summary>
    private sealed class ScramServer(string password, bool forgeSignature)
    {
        private readonly byte[] _salt = RandomNumberGenerator.GetBytes(16);
        private string _clientFirstBare = "";
        private string _serverFirst = "";

        public bool ProofWasValid { get; private set; }

        /// <summary>Answers "AUTH SCRAM-SHA-256 base64(n,,n=user,r=nonce)".</summary>
        public string ServerFirst(string authLine)
        {
            const string prefix = "AUTH SCRAM-SHA-256 ";
            Assert.StartsWith(prefix, authLine, StringComparison.Ordinal);
            string clientFirst = Encoding.UTF8.GetString(Convert.FromBase64String(authLine[prefix.Length..]));
            Assert.StartsWith("n,,", clientFirst, StringComparison.Ordinal);
            _clientFirstBare = clientFirst[3..];
            string clientNonce = _clientFirstBare.Split(',').Single(p => p.StartsWith("r=", StringComparison.Ordinal))[2..];
            _serverFirst = $"r={clientNonce}srv{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))},s={Convert.ToBase64String(_salt)},i=4096";
            return $"334 {Convert.ToBase64String(Encoding.UTF8.GetBytes(_serverFirst))}\r\n";
        }

        /// <summary>Checks the client's proof and answers with the server signature (or a forged one).</summary>
        public string ServerFinal(string line)
        {
            string clientFinal = Encoding.UTF8.GetString(Convert.FromBase64String(line));
            int proofAt = clientFinal.IndexOf(",p=", StringComparison.Ordinal);
            string withoutProof = clientFinal[..proofAt];
            byte[] proof = Convert.FromBase64String(clientFinal[(proofAt + 3)..]);
            byte[] salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), _salt, 4096, HashAlgorithmName.SHA256, 32);
            byte[] authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
            byte[] clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
            byte[] clientSignature = HMACSHA256.HashData(SHA256.HashData(clientKey), authMessage);
            byte[] expected = clientKey.Zip(clientSignature, (a, b) => (byte)(a ^ b)).ToArray();
            ProofWasValid = proof.AsSpan().SequenceEqual(expected);
            if (!ProofWasValid)
            {
                return "535 5.7.8 Authentication credentials invalid\r\n";
            }

            byte[] serverSignature = HMACSHA256.HashData(HMACSHA256.HashData(salted, "Server Key"u8), authMessage);
            if (forgeSignature)
            {
                serverSignature[0] ^= 1;
            }

            return $"334 {Convert.ToBase64String(Encoding.UTF8.GetBytes("v=" + Convert.ToBase64String(serverSignature)))}\r\n";
        }
    }
}
