using System.Security.Cryptography;
using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.MimeKit.Tests;

/// <summary>The signing hook signs the bytes that are sent: a DKIM signature made by MimeKit's DkimSigner verifies on the stored message.</summary>
public sealed class DkimSigningTests
{
    private static readonly string[] SignedHeaders = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"];

    public static TheoryData<bool, bool> Cases => new() { { true, false }, { false, false }, { true, true }, { false, true } };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TheDkimSignatureVerifiesOnTheStoredBytes(bool eightBitOffered, bool throughThePool)
    {
        using RSA key = RSA.Create(2048);
        var signer = new DkimSigner(new MemoryStream(Encoding.ASCII.GetBytes(key.ExportRSAPrivateKeyPem())), "example.com", "test")
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Simple,
        };
        int signed = 0;
        var options = new SmtpMimeOptions
        {
            Sign = (message, format) =>
            {
                Assert.Equal(NewLineFormat.Dos, format.NewLineFormat);
                signer.Sign(format, message, SignedHeaders);
                signed++;
            },
        };

        await using StoringSink sink = StoringSink.Start(eightBitOffered ? null : StoringSink.Without(EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8));
        byte[] stored;
        if (throughThePool)
        {
            await using (var pool = new SmtpSender(new SmtpSenderOptions { Host = "127.0.0.1", Port = sink.Port, Connections = 1, Connection = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None } }))
            {
                SmtpDelivery delivery = await pool.SendAsync(TestMessages.Rich(), options);
                Assert.True(delivery.Accepted, delivery.Error);
            }

            stored = await File.ReadAllBytesAsync(Assert.Single(sink.StoredFiles()));
        }
        else
        {
            await using SmtpConnection connection = await sink.ConnectAsync();
            stored = sink.Stored((await connection.SendAsync(TestMessages.Rich(), options)).Reply);
        }

        Assert.Equal(1, signed);
        var verifier = new DkimVerifier(new OneKeyLocator(Convert.ToBase64String(key.ExportSubjectPublicKeyInfo())));
        Assert.True(await VerifyAsync(verifier, stored));
        Assert.Equal(eightBitOffered, Encoding.UTF8.GetString(stored).Contains("Content-Transfer-Encoding: 8bit", StringComparison.Ordinal));

        // The check can fail: one byte of the body changed and the signature no longer verifies.
        byte[] tampered = (byte[])stored.Clone();
        int last = Array.LastIndexOf(tampered, (byte)'A');
        tampered[last] = (byte)'B';
        Assert.False(await VerifyAsync(verifier, tampered));
    }

    private static async Task<bool> VerifyAsync(DkimVerifier verifier, byte[] stored)
    {
        MimeMessage message = await MimeMessage.LoadAsync(new MemoryStream(stored));
        int index = message.Headers.IndexOf(HeaderId.DkimSignature);
        Assert.True(index >= 0, "the stored message has no DKIM-Signature");
        return await verifier.VerifyAsync(message, message.Headers[index]);
    }

    /// <summary>The DNS record of the test selector, answered from memory.</summary>
    private sealed class OneKeyLocator(string publicKey) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            GetPublicKey($"v=DKIM1; k=rsa; p={publicKey}");

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }
}
