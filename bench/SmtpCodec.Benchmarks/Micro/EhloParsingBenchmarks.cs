using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using SmtpCodec.Capabilities;
using SmtpCodec.Replies;

namespace SmtpCodec.Benchmarks.Micro;

/// <summary>
/// EHLO capability parsing: a reply's bytes to the set of extensions, the SIZE limit and the AUTH mechanisms.
/// MailKit keeps its capability parser private to <c>SmtpClient</c>, so the anchor is what it amounts to:
/// MailKit's <c>SmtpStream.ReadResponse</c> over the same bytes, then a string-split parse of the response text
/// (<see cref="StringSplitEhloParser"/>). Ours: <see cref="SmtpReplyReader"/> over the span and a reused
/// <see cref="EhloCapabilities"/>. The limit: a vectorized count of the LFs of the same bytes.
/// </summary>
[MemoryDiagnoser]
public class EhloParsingBenchmarks
{
    private byte[] _bytes = [];
    private MailKitReplyReader _mailKit = null!;
    private readonly StringSplitEhloParser _anchorParser = new();
    private readonly EhloCapabilities _capabilities = new();

    /// <summary>The article's iCloud reply; a Postfix submission server's; a Microsoft 365 one.</summary>
    [Params("iCloud", "Postfix", "Microsoft 365")]
    public string Server { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        string text = Server switch
        {
            "iCloud" => ReplyTexts.ICloudEhlo,
            "Postfix" =>
                "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n" +
                "250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n" +
                "250-SMTPUTF8\r\n250 CHUNKING\r\n",
            _ =>
                "250-AM0PR10CA0001.outlook.office365.com Hello [192.0.2.1]\r\n250-SIZE 157286400\r\n250-PIPELINING\r\n" +
                "250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH LOGIN XOAUTH2\r\n250-8BITMIME\r\n250-BINARYMIME\r\n" +
                "250-CHUNKING\r\n250 SMTPUTF8\r\n",
        };
        _bytes = Encoding.ASCII.GetBytes(text);
        _mailKit = new MailKitReplyReader(_bytes);

        // Both sides must see the same capabilities, or the comparison means nothing.
        if (MailKit() != SmtpCodec())
        {
            throw new InvalidOperationException($"The anchor and SmtpCodec disagree on the {Server} reply.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _mailKit.Dispose();

    /// <summary>The limit: one vectorized pass counting the LFs of the same bytes.</summary>
    [Benchmark(Description = "limit: LF count")]
    public int LineFeedCount() => _bytes.AsSpan().Count((byte)'\n');

    [Benchmark(Baseline = true, Description = "MailKit ReadResponse + string split")]
    public long MailKit()
    {
        MailKit.Net.Smtp.SmtpResponse response = _mailKit.ReadOne();
        return _anchorParser.Parse(response.Response);
    }

    [Benchmark(Description = "SmtpReplyReader + EhloCapabilities")]
    public long SmtpCodec()
    {
        var reader = new SmtpReplyReader(_bytes, isFinalBlock: true);
        if (reader.Read(out SmtpReply reply) != OperationStatus.Done || _capabilities.Read(reply) != Protocol.SmtpCodecError.None)
        {
            return -1;
        }

        return StringSplitEhloParser.Summary(
            (long)(_capabilities.SizeLimit ?? 0),
            _capabilities.Supports(Protocol.EhloKeyword.Pipelining),
            _capabilities.Supports(Protocol.EhloKeyword.Chunking),
            _capabilities.Supports(Protocol.EhloKeyword.SmtpUtf8),
            _capabilities.Supports(Protocol.EhloKeyword.Dsn),
            _capabilities.AuthMechanisms.HasFlag(Protocol.SaslMechanismFlags.Plain),
            _capabilities.AuthMechanisms.HasFlag(Protocol.SaslMechanismFlags.XOAuth2));
    }
}
