using System.Buffers;
using System.Buffers.Text;
using System.Text;
using BenchmarkDotNet.Attributes;
using MailKit.Security;
using SmtpCodec.Sasl;

namespace SmtpCodec.Benchmarks.Micro;

/// <summary>
/// The client side of one authentication, base64 text in and base64 text out as on the wire: a new client,
/// then every step up to the last client response. PLAIN: the initial response. CRAM-MD5: the answer to
/// RFC 2195's sample challenge. SCRAM-SHA-256: client-first, then client-final with the proof for a
/// server-first naming 4096 iterations (RFC 7677's minimum; the PBKDF2 behind it is most of the cost). The
/// anchor is MailKit's public SaslMechanismPlain / SaslMechanismCramMd5 / SaslMechanismScramSha256 and their
/// Challenge(string) method. Each side's server-first carries the nonce its client just made.
/// </summary>
[MemoryDiagnoser]
public class SaslBenchmarks
{
    private const string User = "user@example.com";
    private const string Password = "correct horse battery staple";

    // RFC 2195 section 2's sample challenge, base64 as in the 334 line.
    private static readonly string s_cramChallenge = Convert.ToBase64String("<1896.697170952@postoffice.reston.mci.net>"u8);
    private static readonly byte[] s_cramChallengeUtf8 = Encoding.ASCII.GetBytes(s_cramChallenge);

    // The server's part of SCRAM's first message (RFC 7677 section 3's sample salt and nonce suffix).
    private const string ServerFirstRest = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

    private readonly byte[] _raw = new byte[512];
    private readonly byte[] _wire = new byte[1024];
    private readonly byte[] _serverFirst = new byte[512];

    /// <summary>The mechanism.</summary>
    [Params("PLAIN", "CRAM-MD5", "SCRAM-SHA-256")]
    public string Mechanism { get; set; } = "";

    [Benchmark(Baseline = true, Description = "MailKit SaslMechanism.Challenge")]
    public int MailKit()
    {
        switch (Mechanism)
        {
            case "PLAIN":
                return new SaslMechanismPlain(User, Password).Challenge(null).Length;
            case "CRAM-MD5":
                return new SaslMechanismCramMd5(User, Password).Challenge(s_cramChallenge).Length;
            default:
                var scram = new SaslMechanismScramSha256(User, Password);
                string clientFirst = Encoding.UTF8.GetString(Convert.FromBase64String(scram.Challenge(null)));
                string nonce = clientFirst[(clientFirst.IndexOf(",r=", StringComparison.Ordinal) + 3)..];
                string serverFirst = Convert.ToBase64String(Encoding.UTF8.GetBytes("r=" + nonce + ServerFirstRest));
                return scram.Challenge(serverFirst).Length;
        }
    }

    [Benchmark(Description = "SmtpCodec SaslClient")]
    public int SmtpCodec()
    {
        int written;
        switch (Mechanism)
        {
            case "PLAIN":
                new PlainSaslClient(User, Password).WriteInitialResponse(_raw, out written, out _);
                return ToBase64(written);
            case "CRAM-MD5":
                SaslClient.DecodeChallenge(s_cramChallengeUtf8, _serverFirst, out int challengeLength);
                new CramMd5SaslClient(User, Password).EvaluateChallenge(_serverFirst.AsSpan(0, challengeLength), _raw, out written, out _);
                return ToBase64(written);
            default:
                var scram = new ScramSha256SaslClient(User, Password);
                scram.WriteInitialResponse(_raw, out written, out _);
                int first = ToBase64(written);
                ReadOnlySpan<byte> clientFirst = _raw.AsSpan(0, written);
                ReadOnlySpan<byte> nonce = clientFirst[(clientFirst.IndexOf(",r="u8) + 3)..];

                // The server's 334 line: base64 of "r=" client nonce + server part, as the other side builds it.
                Span<byte> serverFirst = _serverFirst;
                "r="u8.CopyTo(serverFirst);
                nonce.CopyTo(serverFirst[2..]);
                int serverFirstLength = 2 + nonce.Length + Encoding.ASCII.GetBytes(ServerFirstRest, serverFirst[(2 + nonce.Length)..]);
                Base64.EncodeToUtf8(serverFirst[..serverFirstLength], _wire, out _, out int serverText);
                SaslClient.DecodeChallenge(_wire.AsSpan(0, serverText), _serverFirst, out int challengeBytes);
                scram.EvaluateChallenge(_serverFirst.AsSpan(0, challengeBytes), _raw, out written, out _);
                return first + ToBase64(written);
        }
    }

    private int ToBase64(int rawLength)
    {
        Base64.EncodeToUtf8(_raw.AsSpan(0, rawLength), _wire, out _, out int written);
        return written;
    }
}
