using System.Buffers;
using System.CommandLine;
using System.IO.Pipelines;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;

namespace SmtpCodec.Cli.Verbs;

/// <summary>
/// <c>smtpcodec replies [FILE]</c>: the black-box face of <see cref="SmtpReplyReader"/>. Reads a capture of
/// server replies as a stream (the reader's resumable path) and prints one JSON object per reply; on
/// invalid or truncated input it prints the replies before the fault, then the error, and exits 1.
/// </summary>
internal static class RepliesVerb
{
    public static Command Create()
    {
        var file = new Argument<string?>("FILE")
        {
            Description = "A capture of server replies; stdin when absent or '-'.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("replies", "Parse SMTP replies and print one JSON object per reply: {\"code\":250,\"enhanced\":\"2.1.0\",\"lines\":[\"2.1.0 Ok\"]}.")
        {
            file,
        };
        command.SetAction((parse, cancellation) => RunAsync(parse.GetValue(file), Console.OpenStandardOutput(), cancellation));
        return command;
    }

    public static async Task<int> RunAsync(string? path, Stream output, CancellationToken cancellation)
    {
        await using Stream? input = InputFile.Open(path, "replies");
        if (input is null)
        {
            return Program.UsageExitCode;
        }

        PipeReader pipe = PipeReader.Create(input);
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var state = new SmtpReplyReaderState(SmtpReplyReaderOptions.Default);
        long offset = 0;
        while (true)
        {
            ReadResult result = await pipe.ReadAsync(cancellation);
            Outcome outcome = ReadAvailable(result.Buffer, result.IsCompleted, ref state, json, output);
            if (outcome.Error != SmtpCodecError.None)
            {
                long replyStart = offset + outcome.Consumed;
                json.WriteStartObject();
                json.WriteString("error", outcome.Error.ToString());
                json.WriteNumber("offset", replyStart);
                json.WriteEndObject();
                await EndLineAsync(json, output, cancellation);
                await Console.Error.WriteLineAsync(
                    $"smtpcodec replies: {outcome.Error} in the reply at offset {replyStart} (byte {offset + outcome.ErrorOffset}): {SmtpCodecErrors.GetMessage(outcome.Error)}");
                return 1;
            }

            offset += outcome.Consumed;
            await output.FlushAsync(cancellation);
            if (result.IsCompleted)
            {
                return 0;
            }

            // Whole replies are consumed; the partial one stays, and the state remembers how far it was scanned.
            pipe.AdvanceTo(result.Buffer.GetPosition(outcome.Consumed), result.Buffer.End);
        }
    }

    private static Outcome ReadAvailable(ReadOnlySequence<byte> buffer, bool isFinal, ref SmtpReplyReaderState state, Utf8JsonWriter json, Stream output)
    {
        var reader = new SmtpReplyReader(buffer, isFinal, state);
        OperationStatus status;
        while ((status = reader.Read(out SmtpReply reply)) == OperationStatus.Done)
        {
            Write(json, reply);
            json.Flush();
            output.WriteByte((byte)'\n');
            json.Reset();
        }

        state = reader.CurrentState;
        return status == OperationStatus.InvalidData
            ? new Outcome(reader.BytesConsumed, reader.Error, reader.ErrorOffset)
            : new Outcome(reader.BytesConsumed, SmtpCodecError.None, 0);
    }

    private static void Write(Utf8JsonWriter json, SmtpReply reply)
    {
        json.WriteStartObject();
        json.WriteNumber("code", reply.Code);
        if (reply.EnhancedStatusCode is { } enhanced)
        {
            json.WriteString("enhanced", enhanced.ToString());
        }
        else
        {
            json.WriteNull("enhanced");
        }

        json.WriteStartArray("lines");
        foreach (SmtpReplyLine line in reply.GetLines())
        {
            // Invalid UTF-8 becomes U+FFFD (docs/architecture.md, "The smtpcodec command").
            json.WriteStringValue(line.GetString());
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static async Task EndLineAsync(Utf8JsonWriter json, Stream output, CancellationToken cancellation)
    {
        await json.FlushAsync(cancellation);
        output.WriteByte((byte)'\n');
        await output.FlushAsync(cancellation);
        json.Reset();
    }

    private readonly record struct Outcome(long Consumed, SmtpCodecError Error, long ErrorOffset);
}
