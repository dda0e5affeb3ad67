using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>
/// The message store: each accepted message as QUEUEID.eml, unstuffed, with its envelope (MAIL and accepted
/// RCPT lines) as QUEUEID.envelope, and nothing else.
/// </summary>
public sealed class SmtpSinkStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sink-store-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EachAcceptedMessageIsStoredUnderItsQueueIdAsItWasSent(bool chunking)
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { StoreDirectory = _directory });
        var sent = new Dictionary<string, byte[]>();
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, Client(chunking)))
        {
            for (int i = 0; i < 20; i++)
            {
                // Leading dots (stuffed on the wire), an empty line and a line of "." all come back as they were.
                byte[] message = Encoding.ASCII.GetBytes($"Message-ID: <{i}@test>\r\n\r\n.leading dot\r\n.\r\n\r\nline {i}\r\n");
                SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("a@b.c", "d@e.f"), message);
                sent.Add(QueueId(result), message);
            }

            await connection.QuitAsync();
        }

        await sink.DisposeAsync();
        Assert.Equal(
            sent.Keys.SelectMany(id => new[] { id + ".envelope", id + ".eml" }).Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach ((string id, byte[] message) in sent)
        {
            Assert.Equal(message, await File.ReadAllBytesAsync(Path.Combine(_directory, id + ".eml")));
            Assert.Equal(
                [$"MAIL FROM:<a@b.c> SIZE={message.Length}", "RCPT TO:<d@e.f>"],
                (await File.ReadAllTextAsync(Path.Combine(_directory, id + ".envelope"))).Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
        }
    }

    [Fact]
    public async Task AMessageOfSeveralMegabytesStreamsToItsFile()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { StoreDirectory = _directory });
        var text = new StringBuilder();
        for (int i = 0; text.Length < 3_000_000; i++)
        {
            text.Append(i % 7 == 0 ? "." : "").Append("line ").Append(i).Append(" of a large message, with some padding to make it longer\r\n");
        }

        byte[] message = Encoding.ASCII.GetBytes(text.ToString());
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, Client(chunking: false)))
        {
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("a@b.c", "d@e.f"), message);
            Assert.Equal(message, await File.ReadAllBytesAsync(Path.Combine(_directory, QueueId(result) + ".eml")));
            await connection.QuitAsync();
        }
    }

    [Fact]
    public async Task RefusedAndFaultedMessagesLeaveNoFile()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            StoreDirectory = _directory,
            MaxMessageSize = 100,

            // Without SIZE the client cannot know the limit: the sink finds out at the end of the data.
            Extensions = new SmtpSinkOptions().Extensions & ~EhloExtensions.Size,
            Faults = [SmtpSinkFault.Parse("EOD:5xx=0.5")],
            FaultSeed = 1,
        });
        int accepted = 0;
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, Client(chunking: false)))
        {
            for (int i = 0; i < 40; i++)
            {
                // Every other message is over the size limit.
                byte[] message = Encoding.ASCII.GetBytes(new string('x', i % 2 == 0 ? 10 : 200) + "\r\n");
                try
                {
                    await connection.SendAsync(new SmtpEnvelope("a@b.c", "d@e.f"), message);
                    accepted++;
                }
                catch (SmtpReplyException e)
                {
                    Assert.True(e.ReplyCode is 552 or 554, e.Message);
                }
            }

            await connection.QuitAsync();
        }

        await sink.DisposeAsync();
        Assert.InRange(accepted, 1, 19);
        Assert.Equal(accepted, sink.Messages);
        Assert.Equal(accepted, Directory.GetFiles(_directory, "*.eml").Length);
        Assert.Equal(accepted, Directory.GetFiles(_directory, "*.envelope").Length);
        Assert.All(Directory.GetFiles(_directory, "*.eml"), f => Assert.Equal(12, new FileInfo(f).Length));
    }

    [Fact]
    public async Task TheEnvelopeHoldsOnlyTheAcceptedRecipientsOfItsOwnTransaction()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { StoreDirectory = _directory, MaxRecipients = 2 });
        using (var client = await RawSmtpClient.ConnectAsync(sink.EndPoint))
        {
            // A first transaction reset before its data, then one with a third recipient over the limit (452).
            await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<old@b.c>\r\nRCPT TO:<gone@e.f>\r\nRSET\r\n", 4);
            await client.SendAsync("MAIL FROM:<a@b.c> BODY=8BITMIME\r\nRCPT TO:<to@e.f>\r\nRCPT TO:<bcc@e.f>\r\nRCPT TO:<over@e.f>\r\nDATA\r\n", 5);
            await client.SendAsync("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", 2);
        }

        await sink.DisposeAsync();
        string envelope = Assert.Single(Directory.GetFiles(_directory, "*.envelope"));
        Assert.Equal("MAIL FROM:<a@b.c> BODY=8BITMIME\r\nRCPT TO:<to@e.f>\r\nRCPT TO:<bcc@e.f>\r\n", await File.ReadAllTextAsync(envelope));
        Assert.Equal(Path.ChangeExtension(envelope, ".eml"), Assert.Single(Directory.GetFiles(_directory, "*.eml")));
    }

    [Fact]
    public async Task AnEnvelopeACrashLeftWithoutItsMessageIsNotReusedAsAQueueId()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(Path.Combine(_directory, "2A.envelope"), "MAIL FROM:<a@b.c>\r\n");
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { StoreDirectory = _directory });
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, Client(chunking: false));
        SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("a@b.c", "d@e.f"), "new\r\n"u8.ToArray());

        Assert.Equal("2B", QueueId(result));
        await connection.QuitAsync();
    }

    [Fact]
    public async Task AMessageCutShortByTheClientLeavesNothingBehind()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { StoreDirectory = _directory });
        using (var client = await RawSmtpClient.ConnectAsync(sink.EndPoint))
        {
            await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n", 4);
            await client.SendAsync("Subject: half\r\n\r\nand then the client goes away\r\n", 0);
        }

        await sink.DisposeAsync();
        Assert.Empty(Directory.GetFileSystemEntries(_directory));
        Assert.Equal(0, sink.Messages);
    }

    [Fact]
    public async Task AReusedDirectoryKeepsItsMessagesAndNumberingGoesOn()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(Path.Combine(_directory, "1F.eml"), "from an earlier run\r\n");
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { StoreDirectory = _directory });

        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, Client(chunking: false));
        SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("a@b.c", "d@e.f"), "new\r\n"u8.ToArray());

        Assert.Equal("20", QueueId(result));
        Assert.Equal("from an earlier run\r\n", await File.ReadAllTextAsync(Path.Combine(_directory, "1F.eml")));
        Assert.Equal("new\r\n", await File.ReadAllTextAsync(Path.Combine(_directory, "20.eml")));
        await connection.QuitAsync();
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static SmtpConnectionOptions Client(bool chunking) => new() { TlsMode = SmtpTlsMode.None, EhloName = "client.test", UseChunking = chunking };

    private static string QueueId(SmtpSendResult result)
    {
        const string prefix = "2.0.0 Ok: queued as ";
        Assert.StartsWith(prefix, result.Reply.Text, StringComparison.Ordinal);
        return result.Reply.Text[prefix.Length..];
    }
}
