using System.Text;
using BenchmarkDotNet.Attributes;
using SmtpCodec.Replies;

namespace SmtpCodec.Benchmarks.Micro;

/// <summary>
/// Reply reading against MailKit's SmtpStream over the same bytes (the Ratio column is the result), with a limit: a
/// vectorized count of the LFs (each contender's share of it says how close to a single pass over the bytes it is).
/// Ours reads from the span (a single-segment sequence takes the same path after <c>FirstSpan</c>).
/// </summary>
[MemoryDiagnoser]
public class ReplyReadingBenchmarks
{
    private byte[] _bytes = [];
    private int _replies;
    private MailKitReplyReader _mailKit = null!;

    /// <summary>The input: one line, the article's iCloud EHLO reply, a 30-line EHLO reply, 100 pipelined replies.</summary>
    [Params("one line", "iCloud EHLO", "30-line EHLO", "100 pipelined")]
    public string Input { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        (string text, _replies) = Input switch
        {
            "one line" => ("250 2.1.0 Ok\r\n", 1),
            "iCloud EHLO" => (ReplyTexts.ICloudEhlo, 1),
            "30-line EHLO" => ("250-mx.example.com Hello client [192.0.2.1]\r\n" + string.Concat(Enumerable.Range(1, 28).Select(i => $"250-X-EXTENSION-{i} PARAMETER-{i} VALUE\r\n")) + "250 SMTPUTF8\r\n", 1),
            _ => (string.Concat(Enumerable.Range(0, 100).Select(i => i % 4 == 3 ? "550 5.1.1 <user@example.com>: Recipient address rejected\r\n" : "250 2.1.5 Ok\r\n")), 100),
        };
        _bytes = Encoding.ASCII.GetBytes(text);
        _mailKit = new MailKitReplyReader(_bytes);
    }

    [GlobalCleanup]
    public void Cleanup() => _mailKit.Dispose();

    /// <summary>The limit: one vectorized pass counting the LFs of the same bytes, less than any reader can do.</summary>
    [Benchmark(Description = "limit: LF count")]
    public int LineFeedCount() => _bytes.AsSpan().Count((byte)'\n');

    [Benchmark(Baseline = true, Description = "MailKit SmtpStream.ReadResponse")]
    public int MailKit() => _mailKit.Read(_replies);

    [Benchmark(Description = "SmtpReplyReader")]
    public int SmtpCodec()
    {
        var reader = new SmtpReplyReader(_bytes, isFinalBlock: true);
        int codes = 0;
        while (reader.Read(out SmtpReply reply) == System.Buffers.OperationStatus.Done)
        {
            codes += reply.Code + reply.LineCount;
        }

        return codes;
    }
}
