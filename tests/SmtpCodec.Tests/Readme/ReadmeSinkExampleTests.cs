using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;

namespace SmtpCodec.Tests.Readme;

/// <summary>The README's "The sink" example, compiled and run with the pool sending through its faults.</summary>
public sealed class ReadmeSinkExampleTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("readme-sink-").FullName;

    [Fact]
    public async Task TheReadmeExampleReceivesWhatThePoolReportsAccepted()
    {
        long accepted = 0;
        long received = await RunSinkAsync(_store, async sink =>
        {
            await using var sender = new SmtpSender(new SmtpSenderOptions
            {
                Host = "127.0.0.1",
                Port = sink.EndPoint.Port,
                Connections = 2,
                RetryDelay = TimeSpan.FromMilliseconds(10),
                Connection = new SmtpConnectionOptions
                {
                    EhloName = "client.test",
                    Tls = new SmtpTlsOptions { PinnedCertificate = sink.Certificate, TargetHost = "localhost" },
                    Credentials = new SmtpCredentials("you@example.com", "secret"),
                },
            });
            SmtpDelivery[] ends = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
                sender.SendAsync(new SmtpEnvelope("you@example.com", "friend@example.org"), Encoding.ASCII.GetBytes($"Subject: {i}\r\n\r\nHi\r\n")).AsTask()));
            accepted = ends.Count(d => d.Accepted);
        });

        Assert.Equal(accepted, received);
        Assert.Equal(accepted, Directory.GetFiles(_store, "*.eml").Length);
        Assert.InRange(accepted, 50, 100);
    }

    public void Dispose() => Directory.Delete(_store, recursive: true);

    // --- README example starts here ---
    static async Task<long> RunSinkAsync(string storeDirectory, Func<SmtpSink, Task> sendMail)
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions       // loopback, a free port
        {
            Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.StartTls | EhloExtensions.Auth,
            AuthMechanisms = SaslMechanismFlags.ScramSha256 | SaslMechanismFlags.Plain,
            Users = new Dictionary<string, string> { ["you@example.com"] = "secret" },
            Faults = [SmtpSinkFault.Parse("RCPT:4xx=0.05"), SmtpSinkFault.Parse("EOD:drop=0.01")],
            FaultSeed = 42,                                  // the same faults on every run
            StoreDirectory = storeDirectory,                 // each accepted message as QUEUEID.eml
        });
        await sendMail(sink);                                // clients pin sink.Certificate, made at start
        return sink.Messages;                                // a message faulted at its end is not counted
    }
    // --- README example ends here ---
}
