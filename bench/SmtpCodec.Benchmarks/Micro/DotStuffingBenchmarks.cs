using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using MailKit.Net.Smtp;
using MimeKit.IO.Filters;
using SmtpCodec.Data;

namespace SmtpCodec.Benchmarks.Micro;

/// <summary>
/// Dot-stuffing against memcpy (<see cref="Span{T}.CopyTo"/> of the same bytes, the baseline) and MailKit's
/// filter chain (<see cref="SmtpDataFilter"/>, behind MimeKit's <see cref="Unix2DosFilter"/> where the input
/// has bare LFs). The terminator is left out so every contender does the same work. The MB/s column is the
/// input size over the mean time.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputColumn.Config))]
public class DotStuffingBenchmarks
{
    private byte[] _input = [];
    private byte[] _output = [];
    private SmtpDataFilter _mailKit = null!;
    private Unix2DosFilter? _unix2Dos;

    /// <summary>The size of the body.</summary>
    [Params(2 * 1024, 100 * 1024, 10 * 1024 * 1024)]
    public int Size { get; set; }

    /// <summary>76-character CRLF lines; the same with a dot starting every fourth line; LF line ends.</summary>
    [Params("clean CRLF", "leading dots", "bare LF")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder(Size + 100);
        string lineEnd = Shape == "bare LF" ? "\n" : "\r\n";
        for (int line = 0; text.Length < Size; line++)
        {
            string body = new string((char)('a' + (line % 26)), 76);
            text.Append(Shape == "leading dots" && line % 4 == 0 ? "." + body[1..] : body).Append(lineEnd);
        }

        _input = Encoding.ASCII.GetBytes(text.ToString(0, Size));
        _output = new byte[DotStuffer.GetMaxStuffedLength(Size, isFinalBlock: true)];
        _mailKit = new SmtpDataFilter();
        _unix2Dos = Shape == "bare LF" ? new Unix2DosFilter() : null;
    }

    [Benchmark(Baseline = true, Description = "memcpy (Span.CopyTo)")]
    public int Memcpy()
    {
        _input.AsSpan().CopyTo(_output);
        return _input.Length;
    }

    [Benchmark(Description = "DotStuffer")]
    public int SmtpCodec()
    {
        var stuffer = new DotStuffer(rejectLongLines: false);
        stuffer.Stuff(_input, _output, out _, out int written, isFinalBlock: false);
        return written;
    }

    [Benchmark(Description = "MailKit SmtpDataFilter chain")]
    public int MailKit()
    {
        _mailKit.Reset();
        byte[] input = _input;
        int start = 0;
        int length = input.Length;
        if (_unix2Dos is not null)
        {
            _unix2Dos.Reset();
            input = _unix2Dos.Filter(input, 0, input.Length, out start, out length);
        }

        _mailKit.Filter(input, start, length, out _, out int outputLength);
        return outputLength;
    }
}
