using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using SmtpCodec.Sasl;

namespace SmtpCodec.Sink;

/// <summary>
/// SCRAM-SHA-256's stored credentials, as a server keeps them (RFC 5802 section 5): for each configured user a
/// salt and the keys derived from the salted password, computed once per sink on the user's first exchange
/// (PBKDF2 with 4096 iterations is milliseconds of CPU; an exchange must not cost that). An unknown user gets
/// a salt of its own that never changes (an HMAC of the name under a key made at start) and random keys, with
/// no PBKDF2: its exchange costs what a known user's does, and its salt gives its absence away no more than
/// its timing does.
/// </summary>
internal sealed class ScramCredentials
{
    /// <summary>RFC 7677 section 4: at least 4096 iterations.</summary>
    public const int IterationCount = 4096;

    private const int SaltLength = 16;

    private readonly IReadOnlyDictionary<string, string> _users;
    private readonly ConcurrentDictionary<string, Lazy<Credential>> _known = new(StringComparer.Ordinal);
    private readonly byte[] _unknownSaltKey = RandomNumberGenerator.GetBytes(32);
    private long _derivations;

    public ScramCredentials(IReadOnlyDictionary<string, string> users)
    {
        _users = users;
    }

    /// <summary>How many times a salted password was computed (PBKDF2): once per configured user at most.</summary>
    public long Derivations => Interlocked.Read(ref _derivations);

    /// <summary>The user's salt and keys (copied into <paramref name="clientKey"/> and <paramref name="serverKey"/>).</summary>
    /// <returns>The salt to send in server-first.</returns>
    public byte[] Get(string user, Span<byte> clientKey, Span<byte> serverKey)
    {
        if (!_users.TryGetValue(user, out string? secret))
        {
            // Keys nobody can prove knowledge of: the exchange runs on and fails at the proof, as for a wrong password.
            RandomNumberGenerator.Fill(clientKey);
            RandomNumberGenerator.Fill(serverKey);
            byte[] mac = HMACSHA256.HashData(_unknownSaltKey, Encoding.UTF8.GetBytes(user));
            return mac[..SaltLength];
        }

        Credential credential = _known.GetOrAdd(user, static (_, state) => new Lazy<Credential>(() => state.Self.Derive(state.Secret)), (Self: this, Secret: secret)).Value;
        credential.ClientKey.CopyTo(clientKey);
        credential.ServerKey.CopyTo(serverKey);
        return credential.Salt;
    }

    private Credential Derive(string secret)
    {
        Interlocked.Increment(ref _derivations);
        byte[] salt = RandomNumberGenerator.GetBytes(SaltLength);
        byte[] password = Encoding.UTF8.GetBytes(secret);
        var credential = new Credential(salt, new byte[ScramSha256Keys.HashLength], new byte[ScramSha256Keys.HashLength]);
        ScramSha256Keys.Derive(password, salt, IterationCount, credential.ClientKey, credential.ServerKey);
        CryptographicOperations.ZeroMemory(password);
        return credential;
    }

    private sealed record Credential(byte[] Salt, byte[] ClientKey, byte[] ServerKey);
}
