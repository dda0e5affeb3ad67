using System.Buffers;
using System.CommandLine;
using SmtpCodec.Data;
using SmtpCodec.Protocol;

namespace SmtpCodec.Cli.Verbs;

/// <summary><c>smtpcodec stuff</c>: DATA encoding of stdin to stdout, terminator included (docs/architecture.md, "The smtpcodec command").</summary>
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

        // Reads sized to N and the span overload feed the encoder exactly N bytes a call (docs/architecture.md, "The smtpcodec command");
        // the destination holds the worst case of a whole chunk, so every call is Done or InvalidData.
        var buffer = new byte[chunkSize];
        var stuffed = new byte[DotStuffer.GetMaxStuffedLength(chunkSize, isFinalBlock: true)];
        int read;
        while ((read = input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
        {
            OperationStatus status = stuffer.Stuff(buffer.AsSpan(0, read), stuffed, out _, out int written, isFinalBlock: false);
            output.Write(stuffed, 0, written);
            if (status != OperationStatus.Done)
            {
                return Fail(stuffer);
            }
        }

        stuffer.Stuff([], stuffed, out _, out int terminatorLength, isFinalBlock: true);
        output.Write(stuffed, 0, terminatorLength);
        return 0;
    }

    private static int Fail(DotStuffer stuffer)
    {
        Console.Error.WriteLine(
            $"smtpcodec stuff: {stuffer.Error} at offset {stuffer.ErrorOffset}: {SmtpCodecErrors.GetMessage(stuffer.Error)}");
        return 1;
    }
}
