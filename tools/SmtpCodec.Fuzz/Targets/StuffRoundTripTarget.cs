using System.Buffers;
using System.Buffers.Text;
using SmtpCodec.Data;
using SmtpCodec.Fuzz.Support;
using SmtpCodec.Protocol;

namespace SmtpCodec.Fuzz.Targets;

/// <summary>
/// <c>stuff-roundtrip</c>: the input as a message. <see cref="DotStuffer"/> (buffer writer, pieces, small span
/// destinations, a sequence) always writes the same bytes, with no bare CR or LF, ending with the terminator,
/// and <see cref="DotUnstuffer"/> turns them back into the message with every line break made CRLF and a final
/// CRLF added (docs/architecture.md, "Codec rules"); the 998-octet check refuses exactly the messages with a longer stuffed line.
/// BDAT: <see cref="BdatLineBreakNormalizer"/> every way gives the normalized message, its announced lengths are
/// exact, and <see cref="BdatChunkWriter"/>'s chunks parse back into it.
/// </summary>
public sealed class StuffRoundTripTarget : IFuzzTarget
{
    // Slots 0-9 hold inputs, destinations and segments; buffer writers take theirs from here.
    private const int WriterSlot = 16;

    /// <inheritdoc/>
    public string Name => "stuff-roundtrip";

    /// <inheritdoc/>
    public string Description => "DotStuffer then DotUnstuffer gives the message back, CRLF-normalized; BDAT normalizer and chunk writer likewise";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        input = input[..Math.Min(input.Length, UnstuffTarget.MaxInputLength)];
        var random = DerivedRandom.From(input);
        byte[] expected = DataText.ExpectedContent(input);
        byte[] stuffed = DataText.Stuff(input);

        Check.That(DataText.HasOnlyCrLf(stuffed), "stuffed output holds no bare CR or LF");
        Check.That(stuffed.AsSpan().EndsWith("\r\n.\r\n"u8) || stuffed.AsSpan().SequenceEqual(".\r\n"u8), "stuffed output ends with the terminator");
        Check.That(stuffed.Length <= DotStuffer.GetMaxStuffedLength(input.Length, isFinalBlock: true), "GetMaxStuffedLength bounds the output");
        CheckUnstuffsTo(stuffed, expected);

        Check.Bytes(stuffed, StuffInPieces(input, ref random), "stuffed in pieces");
        Check.Bytes(stuffed, StuffIntoSmallSpans(input, ref random), "stuffed into small spans");
        Check.Bytes(stuffed, StuffSequence(input, ref random), "stuffed from a multi-segment sequence");
        CheckLongLines(input, stuffed);

        byte[] normalized = DataText.NormalizeLineBreaks(input);
        CheckBdat(input, normalized, ref random);
    }

    private static void CheckUnstuffsTo(byte[] stuffed, byte[] expected)
    {
        var unstuffer = new DotUnstuffer();
        Span<byte> content = GuardedBuffers.Get(1).Tail(stuffed.Length).Span;
        OperationStatus status = unstuffer.Unstuff(GuardedBuffers.Get(0).CopyToTail(stuffed).Span, content, out int consumed, out int written, isFinalBlock: true);
        Check.Equal((OperationStatus.Done, SmtpCodecError.None), (status, unstuffer.Error), "unstuffing stuffed output");
        Check.Equal(stuffed.Length, consumed, "unstuffing consumes the stuffed output up to its terminator, which ends it");
        Check.Bytes(expected, content[..written], "unstuff(stuff(message)): the message with CRLF line breaks and a final CRLF");
    }

    private static byte[] StuffInPieces(ReadOnlySpan<byte> input, ref DerivedRandom random)
    {
        var output = new GuardedBufferWriter(slot: WriterSlot);
        var stuffer = new DotStuffer();
        int start = 0;
        foreach (int end in random.Cuts(input.Length, random.Next(2, 12)))
        {
            Check.Equal(OperationStatus.Done, stuffer.Stuff(input[start..end], output, isFinalBlock: false), "stuffing a piece");
            start = end;
        }

        Check.Equal(OperationStatus.Done, stuffer.Stuff([], output, isFinalBlock: true), "stuffing the final empty block");
        Check.That(stuffer.IsCompleted && stuffer.BytesConsumed == input.Length, "the stuffer is complete and counted every byte");
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The span API into destinations of 1 to 16 bytes: every size must make progress, the terminator may be cut.</summary>
    private static byte[] StuffIntoSmallSpans(ReadOnlySpan<byte> input, ref DerivedRandom random)
    {
        var output = new ArrayBufferWriter<byte>();
        var stuffer = new DotStuffer();
        int start = 0;
        int[] cuts = random.Cuts(input.Length, random.Next(1, 6));
        for (int piece = 0; piece < cuts.Length; piece++)
        {
            bool isFinalBlock = piece == cuts.Length - 1;
            ReadOnlySpan<byte> chunk = GuardedBuffers.Get(0).CopyToTail(input[start..cuts[piece]]).Span;
            start = cuts[piece];
            OperationStatus status;
            do
            {
                Span<byte> destination = GuardedBuffers.Get(1).Tail(random.DestinationSize()).Span;
                status = stuffer.Stuff(chunk, destination, out int used, out int written, isFinalBlock);
                Check.That(used > 0 || written > 0 || status == OperationStatus.Done, "a destination with room makes progress");
                output.Write(destination[..written]);
                chunk = chunk[used..];
            }
            while (status == OperationStatus.DestinationTooSmall);

            Check.Equal(OperationStatus.Done, status, "stuffing into small spans");
            Check.That(chunk.IsEmpty, "Done consumed the whole chunk");
        }

        return output.WrittenSpan.ToArray();
    }

    private static byte[] StuffSequence(ReadOnlySpan<byte> input, ref DerivedRandom random)
    {
        var output = new GuardedBufferWriter(slot: WriterSlot);
        var stuffer = new DotStuffer();
        ReadOnlySequence<byte> source = Segments.Cut(input, random.Cuts(input.Length, random.Next(2, 8)), firstSlot: 2);
        Check.Equal(OperationStatus.Done, stuffer.Stuff(source, output, isFinalBlock: true), "stuffing a sequence");
        return output.WrittenSpan.ToArray();
    }

    /// <summary>With the 998-octet check on, exactly the messages with a longer stuffed line are refused.</summary>
    private static void CheckLongLines(ReadOnlySpan<byte> input, byte[] stuffed)
    {
        var output = new ArrayBufferWriter<byte>();
        var stuffer = new DotStuffer(rejectLongLines: true);
        OperationStatus status = stuffer.Stuff(input, output, isFinalBlock: true);
        bool tooLong = DataText.LongestStuffedLine(input) > 998;
        Check.Equal(tooLong ? OperationStatus.InvalidData : OperationStatus.Done, status, "the 998-octet check (RFC 5321 section 4.5.3.1.6)");
        if (tooLong)
        {
            Check.Equal(SmtpCodecError.DataLineTooLong, stuffer.Error, "the error of a long line");
            Check.That(stuffer.ErrorOffset >= 997 && stuffer.ErrorOffset < input.Length, $"the long line's error offset {stuffer.ErrorOffset} is a byte of the input past the 998th stuffed one");
        }
        else
        {
            Check.Bytes(stuffed, output.WrittenSpan, "stuffed with the 998-octet check on");
        }
    }

    private static void CheckBdat(ReadOnlySpan<byte> input, byte[] normalized, ref DerivedRandom random)
    {
        var whole = new BdatLineBreakNormalizer();
        Check.Equal((long)normalized.Length, whole.GetNormalizedLength(input), "GetNormalizedLength of the whole body");
        var output = new GuardedBufferWriter(slot: WriterSlot);
        Check.Equal(normalized.Length, whole.Normalize(input, output), "Normalize's count");
        Check.Bytes(normalized, output.WrittenSpan, "BDAT normalization (every line break CRLF, nothing else changed)");
        Check.Equal(normalized.Length == 0 || normalized.AsSpan().EndsWith("\r\n"u8), whole.EndsWithLineBreak, "EndsWithLineBreak");

        // In pieces into small spans: the announced length of each piece is what it writes.
        var pieces = new BdatLineBreakNormalizer();
        var small = new ArrayBufferWriter<byte>();
        int start = 0;
        foreach (int end in random.Cuts(input.Length, random.Next(2, 10)))
        {
            ReadOnlySpan<byte> chunk = GuardedBuffers.Get(0).CopyToTail(input[start..end]).Span;
            start = end;
            long announced = pieces.GetNormalizedLength(chunk);
            long written = 0;
            while (!chunk.IsEmpty || written < announced)
            {
                Span<byte> destination = GuardedBuffers.Get(1).Tail(random.DestinationSize()).Span;
                pieces.Normalize(chunk, destination, out int used, out int count);
                Check.That(used > 0 || count > 0, "normalizing into a span with room makes progress");
                small.Write(destination[..count]);
                written += count;
                chunk = chunk[used..];
            }

            Check.Equal(announced, written, "GetNormalizedLength of a piece");
        }

        Check.Bytes(normalized, small.WrittenSpan, "BDAT normalization in pieces into small spans");
        CheckChunks(input, normalizeLineBreaks: true, normalized, ref random);
        CheckChunks(input, normalizeLineBreaks: false, input, ref random);
    }

    /// <summary>Writes the body as BDAT chunks and parses them back: sizes exact, LAST on the last one only.</summary>
    private static void CheckChunks(ReadOnlySpan<byte> input, bool normalizeLineBreaks, ReadOnlySpan<byte> expected, ref DerivedRandom random)
    {
        var writer = new BdatChunkWriter(normalizeLineBreaks);
        var output = new GuardedBufferWriter(slot: WriterSlot);
        int[] cuts = random.Cuts(input.Length, random.Next(1, 6));
        int start = 0;
        for (int i = 0; i < cuts.Length; i++)
        {
            Check.That(writer.WriteChunk(input[start..cuts[i]], output, last: i == cuts.Length - 1).Succeeded, "writing a BDAT chunk");
            start = cuts[i];
        }

        ReadOnlySpan<byte> wire = output.WrittenSpan;
        var body = new ArrayBufferWriter<byte>();
        for (int i = 0; i < cuts.Length; i++)
        {
            int lineEnd = wire.IndexOf("\r\n"u8);
            Check.That(lineEnd > 0, "a BDAT chunk starts with its command line");
            ReadOnlySpan<byte> command = wire[..lineEnd];
            bool last = command.EndsWith(" LAST"u8);
            Check.Equal(i == cuts.Length - 1, last, "LAST marks the last chunk only");
            ReadOnlySpan<byte> size = command[5..(command.Length - (last ? 5 : 0))];
            int length = 0;
            int used = 0;
            Check.That(command.StartsWith("BDAT "u8) && Utf8Parser.TryParse(size, out length, out used) && used == size.Length, $"a BDAT command line: {Check.Show(command)}");
            Check.That(lineEnd + 2 + length <= wire.Length, "a chunk holds the bytes its size announces");
            body.Write(wire.Slice(lineEnd + 2, length));
            wire = wire[(lineEnd + 2 + length)..];
        }

        Check.That(wire.IsEmpty, "nothing follows the last chunk");
        Check.Bytes(expected, body.WrittenSpan, normalizeLineBreaks ? "BDAT chunk payloads, normalized" : "BDAT chunk payloads, raw");
    }
}
