// A program as a team adopting SmtpCodec writes it, from the packages alone: a MimeMessage with an attachment and
// a Bcc recipient goes through SmtpConnection and through a SmtpSender registered by AddSmtpSender in a generic
// host, to a sink that requires AUTH over STARTTLS; then the stored messages are checked. Exit 0 and a last line
// "consumer: ok ..." when every check held; exit 1 with the failed check otherwise.
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using SmtpCodec.Client;
using SmtpCodec.Extensions.Hosting;
using SmtpCodec.MimeKit;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;

const string User = "app@example.com";
const string Password = "consumer secret";
const int PooledMessages = 20;

string store = Path.Combine(Path.GetTempPath(), "smtpcodec-consumer-" + Guid.NewGuid().ToString("N"));
await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
{
    // A submission server: STARTTLS (a self-signed certificate made in memory), then AUTH, required before MAIL.
    Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.StartTls | EhloExtensions.Auth,
    Users = new Dictionary<string, string> { [User] = Password },
    RequireAuthentication = true,
    StoreDirectory = store,
});
int port = sink.EndPoint.Port;

// 1. One message over one connection: STARTTLS (required on a port other than 465), the sink's certificate pinned, AUTH.
var connectionOptions = new SmtpConnectionOptions
{
    TlsMode = SmtpTlsMode.StartTlsRequired,
    Tls = new SmtpTlsOptions { PinnedCertificate = sink.Certificate },
    Credentials = new SmtpCredentials(User, Password),
};
await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", port, connectionOptions))
{
    Check(connection.IsEncrypted && connection.IsAuthenticated, "the connection is encrypted and authenticated");
    SmtpSendResult result = await connection.SendAsync(Message("direct"));
    Check(result.Recipients.Count == 3 && result.Recipients.All(r => r.Delivered), "the direct message reached To, Cc and Bcc");
    await connection.QuitAsync();
}

// 2. Through a generic host: the sender configured from configuration, its certificate pin set in code.
HostApplicationBuilder builder = Host.CreateApplicationBuilder();
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Smtp:Host"] = "127.0.0.1",
    ["Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ["Smtp:Connections"] = "2",
    ["Smtp:Connection:TlsMode"] = "StartTlsRequired",
    ["Smtp:Connection:Credentials:UserName"] = User,
    ["Smtp:Connection:Credentials:Secret"] = Password,
});
builder.Services.AddSmtpSender(builder.Configuration.GetSection("Smtp"))
    .Configure(options => options.Connection.Tls.PinnedCertificate = sink.Certificate);
using (IHost host = builder.Build())
{
    await host.StartAsync();
    SmtpSender sender = host.Services.GetRequiredService<SmtpSender>();
    SmtpDelivery[] deliveries = await Task.WhenAll(Enumerable.Range(0, PooledMessages).Select(i => sender.SendAsync(Message("pooled " + i)).AsTask()));
    Check(deliveries.All(d => d.Accepted), "every pooled message was accepted: " + string.Join(", ", deliveries.Where(d => !d.Accepted).Select(d => d.Error)));
    await host.StopAsync();
    Check(sender.AcceptedCount == PooledMessages && sender.FailedCount == 0, "the host stopped with nothing lost");
}

// 3. The store: every message once, no Bcc header in any, the Bcc recipient in every envelope, the attachment intact.
await sink.DisposeAsync();
string[] stored = Directory.GetFiles(store, "*.eml");
Check(stored.Length == PooledMessages + 1, $"{PooledMessages + 1} messages stored (found {stored.Length})");
foreach (string path in stored)
{
    MimeMessage received = await MimeMessage.LoadAsync(path);
    Check(received.Headers[HeaderId.Bcc] is null && !File.ReadAllText(path).Contains("hidden@example.net", StringComparison.Ordinal), "no Bcc in the stored message");
    string envelope = await File.ReadAllTextAsync(Path.ChangeExtension(path, ".envelope"));
    Check(envelope.Contains("RCPT TO:<hidden@example.net>", StringComparison.Ordinal), "the Bcc recipient got the message");
    MimePart attachment = received.Attachments.OfType<MimePart>().Single();
    using var content = new MemoryStream();
    if (attachment.Content is { } encoded)
    {
        await encoded.DecodeToAsync(content);
    }

    Check(attachment.FileName == "report.csv" && content.ToArray().AsSpan().SequenceEqual(Samples.Report), "the attachment arrived intact");
}

Directory.Delete(store, recursive: true);
Console.WriteLine($"consumer: ok, {stored.Length} messages stored, Bcc hidden and delivered, host stopped with nothing lost");
return 0;

static MimeMessage Message(string subject)
{
    var message = new MimeMessage();
    message.From.Add(new MailboxAddress("App", "app@example.com"));
    message.To.Add(new MailboxAddress("Friend", "friend@example.org"));
    message.Cc.Add(new MailboxAddress("Copy", "copy@example.org"));
    message.Bcc.Add(new MailboxAddress("Hidden", "hidden@example.net"));
    message.Subject = subject;
    var body = new BodyBuilder { TextBody = "The report is attached.\r\n" };
    body.Attachments.Add("report.csv", Samples.Report, new ContentType("text", "csv"));
    message.Body = body.ToMessageBody();
    return message;
}

static void Check(bool condition, string what)
{
    if (!condition)
    {
        Console.Error.WriteLine("consumer: FAILED: " + what);
        Environment.Exit(1);
    }
}

internal static class Samples
{
    public static readonly byte[] Report = Encoding.ASCII.GetBytes("id,total\r\n1,42\r\n2,17\r\n");
}
