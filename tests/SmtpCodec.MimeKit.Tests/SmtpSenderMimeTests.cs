using MimeKit;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.MimeKit.Tests;

/// <summary>MimeMessages through the pool: prepared for its server, rendered once, each stored once.</summary>
public sealed class SmtpSenderMimeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FiftyMessagesThroughAPoolOfTwoAreEachStoredOnce(bool chunking)
    {
        await using StoringSink sink = StoringSink.Start();
        var ids = new List<string>();
        await using (var pool = new SmtpSender(new SmtpSenderOptions
        {
            Host = "127.0.0.1",
            Port = sink.Port,
            Connections = 2,
            Connection = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, UseChunking = chunking },
        }))
        {
            var deliveries = new List<Task<SmtpDelivery>>();
            var queued = new List<SmtpQueuedMessage>();
            for (int i = 0; i < 50; i++)
            {
                string id = $"pool-{i}@example.com";
                ids.Add(id);
                MimeMessage message = TestMessages.Rich(id);
                if (i % 5 == 0)
                {
                    queued.Add(await pool.EnqueueAsync(message));
                }
                else
                {
                    deliveries.Add(pool.SendAsync(message).AsTask());
                }
            }

            foreach (Task<SmtpDelivery> delivery in deliveries.Concat(queued.Select(q => q.Delivery.AsTask())))
            {
                SmtpDelivery done = await delivery;
                Assert.True(done.Accepted, done.Error);
            }

            Assert.Equal(50, pool.AcceptedCount);
            Assert.Equal(0, pool.FailedCount);
            Assert.True(pool.ConnectionsOpened <= 2, $"{pool.ConnectionsOpened} connections opened");
        }

        string[] files = sink.StoredFiles();
        Assert.Equal(50, files.Length);
        string[] stored = files.Select(f => MimeMessage.Load(f).MessageId!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(ids.Order(StringComparer.Ordinal), stored);
        Assert.All(files, f => Assert.DoesNotContain("hidden@example.org", File.ReadAllText(f), StringComparison.Ordinal));
    }

    [Fact]
    public async Task ThePoolKnowsItsServersExtensionsFromTheConnectionItOpens()
    {
        await using StoringSink sink = StoringSink.Start(StoringSink.Without(EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8));
        await using var pool = new SmtpSender(new SmtpSenderOptions { Host = "127.0.0.1", Port = sink.Port, Connections = 1, Connection = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None } });

        EhloExtensions[] seen = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => pool.GetServerExtensionsAsync().AsTask()));

        Assert.All(seen, e => Assert.Equal(StoringSink.Without(EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8) & ~EhloExtensions.Help, e & ~EhloExtensions.Help));
        Assert.Equal(1, pool.ConnectionsOpened);
        SmtpDelivery delivery = await pool.SendAsync(TestMessages.Plain("Grüße", "Grüße\n"));
        Assert.True(delivery.Accepted, delivery.Error);
        Assert.Equal(1, pool.ConnectionsOpened);
        Assert.DoesNotContain(await File.ReadAllBytesAsync(Assert.Single(sink.StoredFiles())), b => b >= 0x80);
    }

    [Fact]
    public async Task WhenThePoolCannotConnectTheMessageEndsAsAConnectionFailureNotAnException()
    {
        int port;
        await using (StoringSink closed = StoringSink.Start())
        {
            port = closed.Port;
        }

        await using var pool = new SmtpSender(new SmtpSenderOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Connections = 1,
            MaxAttempts = 1,
            Connection = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None },
        });

        SmtpDelivery delivery = await pool.SendAsync(TestMessages.Plain("hi", "body\n"));

        Assert.False(delivery.Accepted);
        Assert.Equal(1, pool.FailedCount);
    }
}
