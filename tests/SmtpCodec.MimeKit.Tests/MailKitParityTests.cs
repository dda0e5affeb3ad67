using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.MimeKit.Tests;

/// <summary>
/// The same MimeMessage sent by MailKit's SmtpClient and by SmtpCodec (a connection and the pool) is stored byte for
/// byte the same by the sink. Nothing differs: the sink stores the data as it arrives (it adds no Received line),
/// and the message's boundaries, Message-ID and Date are fixed, so the only freedom left is how each client writes
/// it, which is the point of the comparison.
/// </summary>
public sealed class MailKitParityTests
{
    public static TheoryData<string> Servers => new() { "8BITMIME and SMTPUTF8", "7-bit only" };

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task MailKitAndSmtpCodecStoreTheSameBytes(string server)
    {
        EhloExtensions? extensions = server == "7-bit only" ? StoringSink.Without(EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8) : null;

        byte[] byMailKit;
        await using (StoringSink sink = StoringSink.Start(extensions))
        {
            using var client = new SmtpClient { LocalDomain = "client.test" };
            await client.ConnectAsync("127.0.0.1", sink.Port, SecureSocketOptions.None);
            await client.SendAsync(TestMessages.Rich());
            await client.DisconnectAsync(quit: true);
            byMailKit = await File.ReadAllBytesAsync(Assert.Single(sink.StoredFiles()));
        }

        byte[] byConnection;
        byte[] byChunks;
        await using (StoringSink sink = StoringSink.Start(extensions))
        {
            await using SmtpConnection connection = await sink.ConnectAsync();
            byConnection = sink.Stored((await connection.SendAsync(TestMessages.Rich())).Reply);
            await using SmtpConnection chunking = await sink.ConnectAsync(chunking: true);
            byChunks = sink.Stored((await chunking.SendAsync(TestMessages.Rich())).Reply);
        }

        byte[] bySender;
        await using (StoringSink sink = StoringSink.Start(extensions))
        {
            await using (var sender = new SmtpSender(new SmtpSenderOptions { Host = "127.0.0.1", Port = sink.Port, Connections = 1, Connection = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None } }))
            {
                SmtpDelivery delivery = await sender.SendAsync(TestMessages.Rich());
                Assert.True(delivery.Accepted, delivery.Error);
            }

            bySender = await File.ReadAllBytesAsync(Assert.Single(sink.StoredFiles()));
        }

        string text = System.Text.Encoding.UTF8.GetString(byMailKit);
        Assert.DoesNotContain("hidden@example.org", text, StringComparison.Ordinal);
        if (server == "7-bit only")
        {
            // Prepared 7-bit: the UTF-8 text parts were re-encoded, and not a byte above 0x7F is left.
            Assert.DoesNotContain(byMailKit, b => b >= 0x80);
            Assert.DoesNotContain("Content-Transfer-Encoding: 8bit", text, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("Content-Transfer-Encoding: 8bit", text, StringComparison.Ordinal);
        }

        Assert.Equal(byMailKit, byConnection);
        Assert.Equal(byMailKit, byChunks);
        Assert.Equal(byMailKit, bySender);
    }
}
