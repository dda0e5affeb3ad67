using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;

namespace SmtpCodec.Benchmarks.Micro;

/// <summary>
/// Writing a transaction's envelope commands into a reused buffer: MAIL FROM with SIZE, BODY and SMTPUTF8, then
/// RCPT TO with NOTIFY and ORCPT. The anchor builds the same lines as strings (a StringBuilder for the
/// parameters, ORCPT as xtext) and encodes them with Encoding.UTF8.GetBytes, which is how MailKit's SmtpClient
/// writes commands. Ours also checks every argument on its encoded bytes (RFC 5321 syntax, no controls).
/// </summary>
[MemoryDiagnoser]
public class CommandWritingBenchmarks
{
    private const string From = "sender@example.com";
    private const string To = "recipient+tag@example.org";
    private const long Size = 2200;

    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private readonly StringBuilder _builder = new(256);

    [GlobalSetup]
    public void Setup()
    {
        int anchor = StringBuilding();
        byte[] anchorBytes = _output.WrittenSpan.ToArray();
        int ours = SmtpCodec();
        if (anchor != ours || !_output.WrittenSpan.SequenceEqual(anchorBytes))
        {
            throw new InvalidOperationException(
                $"The anchor and SmtpCodec write different commands:\n{Encoding.UTF8.GetString(anchorBytes)}\n{Encoding.UTF8.GetString(_output.WrittenSpan)}");
        }
    }

    [Benchmark(Baseline = true, Description = "string building + Encoding.UTF8.GetBytes")]
    public int StringBuilding()
    {
        _output.ResetWrittenCount();
        _builder.Clear();
        _builder.Append("MAIL FROM:<").Append(From).Append('>');
        _builder.Append(" SIZE=").Append(Size);
        _builder.Append(" BODY=8BITMIME");
        _builder.Append(" SMTPUTF8");
        _builder.Append("\r\n");
        Write(_builder.ToString());

        _builder.Clear();
        _builder.Append("RCPT TO:<").Append(To).Append('>');
        _builder.Append(" NOTIFY=SUCCESS,FAILURE");
        _builder.Append(" ORCPT=rfc822;").Append(EncodeXtext(To));
        _builder.Append("\r\n");
        Write(_builder.ToString());
        return _output.WrittenCount;
    }

    [Benchmark(Description = "SmtpCommandWriter")]
    public int SmtpCodec()
    {
        _output.ResetWrittenCount();
        SmtpCommandWriter.WriteMailFrom(_output, From, new MailFromParameters { Size = Size, Body = BodyType.EightBitMime, SmtpUtf8 = true });
        SmtpCommandWriter.WriteRcptTo(_output, To, new RcptToParameters { Notify = DsnNotifyFlags.Success | DsnNotifyFlags.Failure, OriginalRecipient = To });
        return _output.WrittenCount;
    }

    private void Write(string command)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(command);
        _output.Write(bytes);
    }

    /// <summary>xtext (RFC 3461 section 4): '+', '=' and bytes outside 0x21-0x7E as "+XX".</summary>
    private static string EncodeXtext(string value)
    {
        var encoded = new StringBuilder(value.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b is < 0x21 or > 0x7E or (byte)'+' or (byte)'=')
            {
                encoded.Append('+').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                encoded.Append((char)b);
            }
        }

        return encoded.ToString();
    }
}
