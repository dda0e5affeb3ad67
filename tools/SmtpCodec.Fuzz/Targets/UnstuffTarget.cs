using System.Buffers;
using SmtpCodec.Data;
using SmtpCodec.Fuzz.Support;
using SmtpCodec.Protocol;

namespace SmtpCodec.Fuzz.Targets;

/// <summary>
/// <c>unstuff</c>: <see cref="DotUnstuffer"/> over the input as received DATA, in one call, in derived pieces into
/// derived small destinations, and as a multi-segment sequence; all must agree. The content never holds a bare
/// CR or LF; a Done ends at the first CRLF <c>.</c> CRLF and its content is the data with each line's leading dot
/// dropped; an error names a byte that is what the error says; a content limit either changes nothing or stops
/// with MessageTooLarge past it; stuffing the content again and unstuffing it gives it back.
/// </summary>
public sealed class UnstuffTarget : IFuzzTarget
{
    /// <summary>Inputs are cut to this length.</summary>
    public const int MaxInputLength = 64 * 1024;

    /// <inheritdoc/>
    public string Name => "unstuff";

    /// <inheritdoc/>
    public string Description => "DotUnstuffer whole, in pieces into small destinations, as a sequence, with a limit: same result, no bare CR/LF";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        input = input[..Math.Min(input.Length, MaxInputLength)];
        var random = DerivedRandom.From(input);
        Unstuffed whole = UnstuffWhole(input, new DotUnstuffer());
        CheckWhole(input, whole);

        whole.CheckSame(UnstuffInPieces(input, ref random), "unstuffed in pieces into small destinations");
        whole.CheckSame(UnstuffSequence(input, ref random), "unstuffed from a multi-segment sequence");

        long limit = random.Next(whole.Content.Length + 2);
        Unstuffed limited = UnstuffWhole(input, new DotUnstuffer(limit));
        if (limited.Error == SmtpCodecError.MessageTooLarge)
        {
            Check.That(whole.Content.Length > limit, $"MessageTooLarge at a limit of {limit} for {whole.Content.Length} content bytes");
            Check.That(limited.Content.Length <= limit && whole.Content.AsSpan().StartsWith(limited.Content), "content before MessageTooLarge is a prefix within the limit");
        }
        else
        {
            whole.CheckSame(limited, $"unstuffed with a limit of {limit}");
            Check.That(whole.Content.Length <= limit || whole.Status == OperationStatus.InvalidData, $"a limit of {limit} let {whole.Content.Length} content bytes through");
        }

        if (whole.Status == OperationStatus.Done)
        {
            // Stuffing the content again and unstuffing that gives the content back (docs/architecture.md, "Codec rules").
            byte[] stuffed = DataText.Stuff(whole.Content);
            Unstuffed again = UnstuffWhole(stuffed, new DotUnstuffer());
            Check.Equal(OperationStatus.Done, again.Status, "unstuffing the re-stuffed content");
            Check.Equal((long)stuffed.Length, again.Consumed, "the re-stuffed content is consumed whole");
            Check.Bytes(whole.Content, again.Content, "the re-stuffed content unstuffed");
        }
    }

    private static void CheckWhole(ReadOnlySpan<byte> input, Unstuffed whole)
    {
        Check.That(DataText.HasOnlyCrLf(whole.Content), "the content holds no bare CR or LF");
        int terminatorEnd = DataText.TerminatorEnd(input);
        switch (whole.Status)
        {
            case OperationStatus.Done:
                Check.Equal((long)terminatorEnd, whole.Consumed, "Done consumes up to the first CRLF . CRLF");
                Check.That(DataText.HasOnlyCrLf(input[..terminatorEnd]), "Done was reached over data with a bare CR or LF");
                Check.Bytes(DataText.Unstuff(input[..(terminatorEnd - 3)]), whole.Content, "the content (each line's leading dot dropped)");
                break;

            case OperationStatus.InvalidData:
                long offset = whole.ErrorOffset;
                Check.That(terminatorEnd < 0 || offset < terminatorEnd, $"{whole.Error} at {offset} comes before the terminator ending at {terminatorEnd}");
                switch (whole.Error)
                {
                    case SmtpCodecError.BareLineFeedInData:
                        Check.That(input[(int)offset] == (byte)'\n' && (offset == 0 || input[(int)offset - 1] != (byte)'\r'), $"a bare LF at {offset}");
                        break;
                    case SmtpCodecError.BareCarriageReturnInData:
                        Check.That(input[(int)offset] == (byte)'\r' && offset + 1 < input.Length && input[(int)offset + 1] != (byte)'\n', $"a bare CR at {offset}");
                        break;
                    case SmtpCodecError.MissingDataTerminator:
                        Check.That(terminatorEnd < 0 && offset == input.Length, "a missing terminator is reported at the end of input with none in it");
                        break;
                    default:
                        throw Check.Fail($"{whole.Error} is not an error of unlimited unstuffing");
                }

                // A CR that ends the input is not known to be bare: no byte follows it.
                ReadOnlySpan<byte> before = input[..(int)offset];
                Check.That(DataText.HasOnlyCrLf(offset == input.Length && before.EndsWith("\r"u8) ? before[..^1] : before), $"no bare CR or LF before the error at {offset}");
                break;

            default:
                throw Check.Fail($"a final block ended with {whole.Status}");
        }
    }

    /// <summary>One call over the whole input into a destination exactly as long (content is never longer).</summary>
    private static Unstuffed UnstuffWhole(ReadOnlySpan<byte> input, DotUnstuffer unstuffer)
    {
        ReadOnlySpan<byte> source = GuardedBuffers.Get(0).CopyToTail(input).Span;
        Span<byte> destination = GuardedBuffers.Get(1).Tail(input.Length).Span;
        OperationStatus status = unstuffer.Unstuff(source, destination, out int consumed, out int written, isFinalBlock: true);
        Check.That(status != OperationStatus.DestinationTooSmall, "a destination as long as the input suffices");
        var result = new Unstuffed(status, unstuffer.Error, unstuffer.ErrorOffset, consumed, destination[..written].ToArray());
        result.CheckState(unstuffer);
        CheckFinished(ref unstuffer, status);
        return result;
    }

    private static Unstuffed UnstuffInPieces(ReadOnlySpan<byte> input, ref DerivedRandom random)
    {
        var unstuffer = new DotUnstuffer();
        var content = new ArrayBufferWriter<byte>();
        long consumed = 0;
        int start = 0;
        OperationStatus status = OperationStatus.NeedMoreData;
        int[] cuts = random.Cuts(input.Length, random.Next(2, 16));
        for (int piece = 0; piece <= cuts.Length && status is OperationStatus.NeedMoreData; piece++)
        {
            bool isFinalBlock = piece == cuts.Length;
            ReadOnlySpan<byte> chunk = isFinalBlock ? [] : GuardedBuffers.Get(0).CopyToTail(input[start..cuts[piece]]).Span;
            start = isFinalBlock ? start : cuts[piece];
            do
            {
                Span<byte> destination = GuardedBuffers.Get(1).Tail(random.DestinationSize()).Span;
                status = unstuffer.Unstuff(chunk, destination, out int used, out int written, isFinalBlock);
                Check.That(used > 0 || written > 0 || status != OperationStatus.DestinationTooSmall, "DestinationTooSmall with room for a byte makes progress");
                Check.That(status != OperationStatus.NeedMoreData || used == chunk.Length, "NeedMoreData consumes the whole chunk");
                content.Write(destination[..written]);
                consumed += used;
                chunk = chunk[used..];
            }
            while (status == OperationStatus.DestinationTooSmall);
        }

        var result = new Unstuffed(status, unstuffer.Error, unstuffer.ErrorOffset, consumed, content.WrittenSpan.ToArray());
        result.CheckState(unstuffer);
        return result;
    }

    private static Unstuffed UnstuffSequence(ReadOnlySpan<byte> input, ref DerivedRandom random)
    {
        ReadOnlySequence<byte> source = Segments.Cut(input, random.Cuts(input.Length, random.Next(2, 8)), firstSlot: 2);
        Span<byte> destination = GuardedBuffers.Get(1).Tail(input.Length).Span;
        var unstuffer = new DotUnstuffer();
        OperationStatus status = unstuffer.Unstuff(source, destination, out SequencePosition end, out int written, isFinalBlock: true);
        long consumed = source.Slice(source.Start, end).Length;
        var result = new Unstuffed(status, unstuffer.Error, unstuffer.ErrorOffset, consumed, destination[..written].ToArray());
        result.CheckState(unstuffer);
        return result;
    }

    /// <summary>After Done or InvalidData, further calls take nothing and keep the outcome.</summary>
    private static void CheckFinished(ref DotUnstuffer unstuffer, OperationStatus status)
    {
        Span<byte> destination = stackalloc byte[8];
        OperationStatus again = unstuffer.Unstuff("x\r\n.\r\n"u8, destination, out int consumed, out int written, isFinalBlock: true);
        Check.Equal((status, 0, 0), (again, consumed, written), "a call after the data ended");
    }

    private sealed record Unstuffed(OperationStatus Status, SmtpCodecError Error, long ErrorOffset, long Consumed, byte[] Content)
    {
        public void CheckState(DotUnstuffer unstuffer)
        {
            Check.Equal(Status == OperationStatus.Done, unstuffer.IsCompleted, "IsCompleted after Done");
            Check.Equal((long)Content.Length, unstuffer.ContentLength, "ContentLength");
            Check.That(Status == OperationStatus.InvalidData || unstuffer.BytesConsumed == Consumed, "BytesConsumed");
            Check.That(Status == OperationStatus.InvalidData ? Error != SmtpCodecError.None : Error == SmtpCodecError.None, "Error is set exactly after InvalidData");
        }

        public void CheckSame(Unstuffed other, string way)
        {
            Check.Equal((Status, Error, ErrorOffset), (other.Status, other.Error, other.ErrorOffset), $"the outcome {way}");
            Check.Equal(Consumed, other.Consumed, $"the bytes consumed {way}");
            Check.Bytes(Content, other.Content, $"the content {way}");
        }
    }
}
