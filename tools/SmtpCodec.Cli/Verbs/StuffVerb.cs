using System.Buffers;
using System.CommandLine;
using SmtpCodec.Data;
using SmtpCodec.Protocol;

namespace SmtpCodec.Cli.Verbs;

/// <summary><c>smtpcodec stuff</c>: DATA encoding of stdin to stdout, terminator included (design.md section 6).</summary>
public static class StuffVerb
{
    private const int ReadSize = 64 * 1024;

    public static Command Create()
    {
        var chunk = new Option<int>("--chunk")
        {
            Description = "Feed the encoder N bytes at a time (the output does not change).",
            DefaultValueFactory = _ => ReadSize,
            HelpName = "N",
        };
        chunk.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--chunk must be at least 1.");
            }
        });

        var longLines = new Option<bool>("--reject-long-lines")
        {
            Description = "Fail on a line longer than 998 octets (RFC 5321 section 4.5.3.1.6).",
        };

        var command = new Command(
            "stuff",
            "Dot-stuff stdin for DATA (every line break made CRLF, leading dots doubled) and write it with the . CRLF terminator to stdout.")
        {
            chunk,
            longLines,
        };
        command.SetAction(parsed => Run(parsed.GetValue(chunk), parsed.GetValue(longLines)));
        return command;
    }

    private static int Run(int chunkSize, bool rejectLongLines)
    {
        using Stream input = Console.OpenStandardInput();
        using Stream output = Console.OpenStandardOutput();
        var stuffer = new DotStuffer(rejectLongLines);
        var writer = new ArrayBufferWriter<byte>(2 * ReadSize + 16);
        var buffer = new byte[ReadSize];
        int read;
        while ((read = input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
        {
            for (int offset = 0; offset < read; offset += chunkSize)
            {
                ReadOnlySpan<byte> piece = buffer.AsSpan(offset, Math.Min(chunkSize, read - offset));
                if (stuffer.Stuff(piece, writer, isFinalBlock: false) != OperationStatus.Done)
                {
                    return Fail(output, writer, stuffer);
                }
            }

            output.Write(writer.WrittenSpan);
            writer.ResetWrittenCount();
        }

        stuffer.Stuff([], writer, isFinalBlock: true);
        output.Write(writer.WrittenSpan);
        return 0;
    }

    private static int Fail(Stream output, ArrayBufferWriter<byte> writer, DotStuffer stuffer)
    {
        output.Write(writer.WrittenSpan);
        output.Flush();
        Console.Error.WriteLine(
            $"smtpcodec stuff: {stuffer.Error} at offset {stuffer.ErrorOffset}: {SmtpCodecErrors.GetMessage(stuffer.Error)}");
        return 1;
    }
}
