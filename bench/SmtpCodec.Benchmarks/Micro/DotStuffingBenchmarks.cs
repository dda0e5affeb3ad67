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
/// has bare LFs), and a plain byte loop (<see cref="ByteLoop"/>) as the floor for inputs dense in line breaks. The
/// terminator is left out so every contender does the same work. The MB/s column is the input size over the mean time.
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

    /// <summary>76-character CRLF lines; the same with a dot starting every fourth line; LF line ends; nothing but LFs (empty lines).</summary>
    [Params("clean CRLF", "leading dots", "bare LF", "all LF")]
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

        _input = Shape == "all LF" ? Enumerable.Repeat((byte)'\n', Size).ToArray() : Encoding.ASCII.GetBytes(text.ToString(0, Size));
        _output = new byte[DotStuffer.GetMaxStuffedLength(Size, isFinalBlock: true)];
        _mailKit = new SmtpDataFilter();
        _unix2Dos = Shape is "bare LF" or "all LF" ? new Unix2DosFilter() : null;

        // The byte loop does the same job: both must write the same bytes.
        byte[] expected = _output[..SmtpCodec()];
        if (!_output.AsSpan(0, ByteLoop()).SequenceEqual(expected))
        {
            throw new InvalidOperationException($"The byte loop and DotStuffer stuff the {Shape} input differently.");
        }
    }

    [Benchmark(Baseline = true, Description = "memcpy (Span.CopyTo)")]
    public int Memcpy()
    {
        _input.AsSpan().CopyTo(_output);
        return _input.Length;
    }

    /// <summary>
    /// The plainest stuffing there is: one byte at a time, each line break written as CRLF (a CRLF kept, a lone CR or
    /// LF completed) and a dot starting a line doubled. A floor for inputs dense in line breaks.
    /// </summary>
    [Benchmark(Description = "plain byte loop")]
    public int ByteLoop()
    {
        byte[] input = _input;
        byte[] output = _output;
        int j = 0;
        bool lineStart = true;
        bool afterCr = false;
        foreach (byte b in input)
        {
            if (b == (byte)'\n')
            {
                if (!afterCr)
                {
                    output[j++] = (byte)'\r';
                    output[j++] = (byte)'\n';
                }

                afterCr = false;
                lineStart = true;
                continue;
            }

            afterCr = b == (byte)'\r';
            if (afterCr)
            {
                output[j++] = (byte)'\r';
                output[j++] = (byte)'\n';
                lineStart = true;
                continue;
            }

            if (b == (byte)'.' && lineStart)
            {
                output[j++] = (byte)'.';
            }

            output[j++] = b;
            lineStart = false;
        }

        return j;
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
