using System.Buffers;
using System.CommandLine;
using SmtpCodec.Data;
using SmtpCodec.Protocol;

namespace SmtpCodec.Cli.Verbs;

/// <summary><c>smtpcodec unstuff</c>: DATA decoding of stdin to stdout, up to the terminator (docs/architecture.md, "The smtpcodec command").</summary>
public static class UnstuffVerb
{
    private const int ReadSize = 64 * 1024;

    public static Command Create()
    {
        var command = new Command(
            "unstuff",
            "Decode dot-stuffed DATA from stdin and write the content up to the CRLF . CRLF terminator to stdout. "
            + "A missing terminator, bytes after it, or a bare CR or LF is an error naming the offset (exit 1).");
        command.SetAction(_ => Run());
        return command;
    }

    private static int Run()
    {
        using Stream input = Console.OpenStandardInput();
        using Stream output = Console.OpenStandardOutput();
        var unstuffer = new DotUnstuffer();
        var buffer = new byte[ReadSize];
        var content = new byte[ReadSize];
        while (true)
        {
            int read = input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            ReadOnlySpan<byte> rest = buffer.AsSpan(0, read);
            OperationStatus status;

            // A held CR can make a call write one byte more than it read: go on until the read is used up.
            do
            {
                status = unstuffer.Unstuff(rest, content, out int consumed, out int written, isFinalBlock: read == 0);
                output.Write(content, 0, written);
                rest = rest[consumed..];
            }
            while (status == OperationStatus.DestinationTooSmall);

            switch (status)
            {
                case OperationStatus.InvalidData:
                    return Fail(output, $"{unstuffer.Error} at offset {unstuffer.ErrorOffset}: {SmtpCodecErrors.GetMessage(unstuffer.Error)}");
                case OperationStatus.Done:
                    // Only the terminator may end the input: anything after it is not part of this message.
                    long end = unstuffer.BytesConsumed;
                    if (!rest.IsEmpty || input.Read(buffer) > 0)
                    {
                        return Fail(output, $"bytes after the terminator at offset {end}.");
                    }

                    return 0;
            }
        }
    }

    private static int Fail(Stream output, string message)
    {
        output.Flush();
        Console.Error.WriteLine($"smtpcodec unstuff: {message}");
        return 1;
    }
}
