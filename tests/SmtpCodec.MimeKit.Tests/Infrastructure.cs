using System.Text;
using MimeKit;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;

namespace SmtpCodec.MimeKit.Tests;

/// <summary>An embedded sink storing into a directory of its own, a client for it, and the messages the tests send.</summary>
internal sealed class StoringSink : IAsyncDisposable
{
    private StoringSink(SmtpSink sink, string directory)
    {
        Sink = sink;
        Directory = directory;
    }

    public SmtpSink Sink { get; }

    public string Directory { get; }

    public int Port => Sink.EndPoint.Port;

    public static StoringSink Start(EhloExtensions? extensions = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), "mimekit-tests-" + Guid.NewGuid().ToString("N"));
        var options = new SmtpSinkOptions { StoreDirectory = directory };
        if (extensions is { } offered)
        {
            options = options with { Extensions = offered };
        }

        return new StoringSink(SmtpSink.Start(options), directory);
    }

    public Task<SmtpConnection> ConnectAsync(bool chunking = false, List<string>? transcript = null) =>
        SmtpConnection.ConnectAsync("127.0.0.1", Port, new SmtpConnectionOptions
        {
            TlsMode = SmtpTlsMode.None,
            EhloName = "client.test",
            UseChunking = chunking,
            Transcript = transcript is null ? null : line => { lock (transcript) { transcript.Add(line.ToString()); } },
        });

    /// <summary>The stored message a send's reply names.</summary>
    public byte[] Stored(SmtpResponse reply)
    {
        const string prefix = "2.0.0 Ok: queued as ";
        Assert.StartsWith(prefix, reply.Text, StringComparison.Ordinal);
        return File.ReadAllBytes(Path.Combine(Directory, reply.Text[prefix.Length..].Trim() + ".eml"));
    }

    public string[] StoredFiles() => System.IO.Directory.Exists(Directory) ? System.IO.Directory.GetFiles(Directory, "*.eml") : [];

    public async ValueTask DisposeAsync()
    {
        await Sink.DisposeAsync();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    /// <summary>Every default extension but those named.</summary>
    public static EhloExtensions Without(EhloExtensions removed) => new SmtpSinkOptions().Extensions & ~removed;
}

/// <summary>The test message: text and HTML alternatives, an attachment, Cc, Bcc, a non-ASCII subject, UTF-8 bodies; fixed boundaries, Message-ID and Date, so two builds write the same bytes.</summary>
internal static class TestMessages
{
    public static MimeMessage Rich(string id = "parity@example.com")
    {
        var message = new MimeMessage
        {
            MessageId = id,
            Date = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero),
            Subject = "Grüße aus Zürich — ünïcødé ✓",
        };
        message.From.Add(new MailboxAddress("Sender Ünicode", "sender@example.com"));
        message.To.Add(new MailboxAddress("To One", "to1@example.org"));
        message.Cc.Add(new MailboxAddress("Cc One", "cc1@example.org"));
        message.Bcc.Add(new MailboxAddress("Hidden", "hidden@example.org"));

        var plain = new TextPart("plain");
        plain.SetText(Encoding.UTF8, "Hallo — schöne Grüße.\nZweite Zeile mit Ümlauten: äöü ß.\n.\n.a line with a leading dot\n");
        var html = new TextPart("html");
        html.SetText(Encoding.UTF8, "<p>Hallo — <b>schöne</b> Grüße.</p>\n");
        var alternative = new MultipartAlternative { plain, html };
        alternative.Boundary = "=-alternative-boundary";

        byte[] data = new byte[3000];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7);
        }

        var attachment = new MimePart("application", "octet-stream")
        {
            Content = new MimeContent(new MemoryStream(data)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = "data.bin",
        };
        var mixed = new Multipart("mixed") { alternative, attachment };
        mixed.Boundary = "=-mixed-boundary";
        message.Body = mixed;
        return message;
    }

    public static MimeMessage Plain(string subject, string body, string from = "a@example.com", params string[] to)
    {
        var message = new MimeMessage { Subject = subject, MessageId = Guid.NewGuid().ToString("N") + "@example.com", Date = DateTimeOffset.UnixEpoch };
        message.From.Add(MailboxAddress.Parse(from));
        foreach (string recipient in to.Length == 0 ? ["b@example.org"] : to)
        {
            message.To.Add(MailboxAddress.Parse(recipient));
        }

        message.Body = new TextPart("plain") { Text = body };
        return message;
    }
}
