using System.Security.Cryptography;
using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using SmtpCodec.Client;

namespace SmtpCodec.MimeKit.Tests;

/// <summary>The README's "Sending a MimeMessage" example, compiled and run against the sink (ReadmeStaysTrueTests compares the text).</summary>
public sealed class ReadmeMimeKitExampleTests
{
    [Fact]
    public async Task TheReadmeExampleSendsASignedMessageAndOneThroughThePool()
    {
        await using StoringSink sink = StoringSink.Start();
        using RSA key = RSA.Create(2048);
        var signer = new DkimSigner(new MemoryStream(Encoding.ASCII.GetBytes(key.ExportRSAPrivateKeyPem())), "example.com", "readme");
        await using SmtpConnection connection = await sink.ConnectAsync();
        await using var pool = new SmtpSender(new SmtpSenderOptions { Host = "127.0.0.1", Port = sink.Port, Connection = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None } });

        SmtpResponse reply = await SendSignedAsync(connection, TestMessages.Rich(), signer);
        bool accepted = await SendThroughPoolAsync(pool, TestMessages.Rich("second@example.com"));

        Assert.True(accepted);
        string stored = Encoding.UTF8.GetString(sink.Stored(reply));
        Assert.StartsWith("DKIM-Signature:", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden@example.org", stored, StringComparison.Ordinal);
    }

    // --- README example starts here ---
    static async Task<SmtpResponse> SendSignedAsync(SmtpConnection connection, MimeMessage message, DkimSigner signer)
    {
        // The envelope comes from the headers (Bcc included, never transmitted); the signature covers the bytes sent.
        var options = new SmtpMimeOptions { Sign = (m, format) => signer.Sign(format, m, ["From", "To", "Subject", "Date", "Message-ID"]) };
        SmtpSendResult result = await connection.SendAsync(message, options);
        return result.Reply;
    }

    static async Task<bool> SendThroughPoolAsync(SmtpSender sender, MimeMessage message) =>
        (await sender.SendAsync(message)).Accepted;        // prepared for the pool's server, rendered once
    // --- README example ends here ---
}
