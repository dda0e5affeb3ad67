using System;
using System.Security.Cryptography;

namespace SmtpCodec.Sasl;

/// <summary>
/// The key schedule of SCRAM-SHA-256 (RFC 5802 section 3, RFC 7677), shared by the client and the
/// sink's server side so that both compute the same proof and signature from one definition.
/// </summary>
internal static class ScramSha256Keys
{
    /// <summary>SHA-256's output length: every key, signature and proof has it.</summary>
    public const int HashLength = 32;

    /// <summary>
    /// ClientKey := HMAC(SaltedPassword, "Client Key") and ServerKey := HMAC(SaltedPassword, "Server Key"),
    /// with SaltedPassword := Hi(password, salt, i), PBKDF2 with HMAC-SHA-256.
    /// </summary>
    public static void Derive(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int iterations, Span<byte> clientKey, Span<byte> serverKey)
    {
        Span<byte> saltedPassword = stackalloc byte[HashLength];
        Rfc2898DeriveBytes.Pbkdf2(password, salt, saltedPassword, iterations, HashAlgorithmName.SHA256);
        HMACSHA256.HashData(saltedPassword, "Client Key"u8, clientKey);
        HMACSHA256.HashData(saltedPassword, "Server Key"u8, serverKey);
        CryptographicOperations.ZeroMemory(saltedPassword);
    }

    /// <summary>ClientProof := ClientKey XOR HMAC(H(ClientKey), AuthMessage).</summary>
    public static void ComputeClientProof(ReadOnlySpan<byte> clientKey, ReadOnlySpan<byte> authMessage, Span<byte> proof)
    {
        Span<byte> storedKey = stackalloc byte[HashLength];
        SHA256.HashData(clientKey, storedKey);
        HMACSHA256.HashData(storedKey, authMessage, proof);
        for (int i = 0; i < HashLength; i++)
        {
            proof[i] ^= clientKey[i];
        }
    }

    /// <summary>
    /// The server's check: the proof XOR HMAC(StoredKey, AuthMessage) gives back a ClientKey whose hash
    /// must be StoredKey (RFC 5802 section 3). Compared in fixed time.
    /// </summary>
    public static bool VerifyClientProof(ReadOnlySpan<byte> clientKey, ReadOnlySpan<byte> authMessage, ReadOnlySpan<byte> proof)
    {
        if (proof.Length != HashLength)
        {
            return false;
        }

        Span<byte> storedKey = stackalloc byte[HashLength];
        SHA256.HashData(clientKey, storedKey);
        Span<byte> recovered = stackalloc byte[HashLength];
        HMACSHA256.HashData(storedKey, authMessage, recovered);
        for (int i = 0; i < HashLength; i++)
        {
            recovered[i] ^= proof[i];
        }

        Span<byte> recoveredStoredKey = stackalloc byte[HashLength];
        SHA256.HashData(recovered, recoveredStoredKey);
        return CryptographicOperations.FixedTimeEquals(recoveredStoredKey, storedKey);
    }

    /// <summary>ServerSignature := HMAC(ServerKey, AuthMessage).</summary>
    public static void ComputeServerSignature(ReadOnlySpan<byte> serverKey, ReadOnlySpan<byte> authMessage, Span<byte> signature) =>
        HMACSHA256.HashData(serverKey, authMessage, signature);
}
