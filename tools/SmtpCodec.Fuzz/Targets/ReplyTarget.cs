using System.Buffers;
using System.Text;
using SmtpCodec.Fuzz.Support;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;

namespace SmtpCodec.Fuzz.Targets;

/// <summary>
/// <c>replies</c>: <see cref="SmtpReplyReader"/> over the input as one span (final and not final), as a
/// multi-segment sequence cut at input-derived points, and streamed in pieces with its state resumed (one
/// byte at a time for short inputs), each under five option sets (the defaults, CRLF required, small limits,
/// both, and limits drawn from the input). Every way must give the same replies, consumed bytes, error and offset; every reply it returns
/// must follow RFC 5321 section 4.2 and the limits; no way may throw or touch a byte past its input.
/// </summary>
public sealed class ReplyTarget : IFuzzTarget
{
    /// <summary>Inputs are cut to this length: the small limits reach every limit path well below it.</summary>
    public const int MaxInputLength = 16 * 1024;

    // Streamed one byte at a time up to this length; longer inputs are streamed in derived pieces.
    private const int ByteByByteLength = 512;

    private static readonly SmtpReplyReaderOptions?[] s_options =
    [
        null,
        new SmtpReplyReaderOptions { RequireCrLf = true },
        new SmtpReplyReaderOptions { MaxLineLength = 24, MaxReplyLength = 60, MaxLines = 4 },
        new SmtpReplyReaderOptions { MaxLineLength = 24, MaxReplyLength = 60, MaxLines = 4, RequireCrLf = true },
    ];

    /// <inheritdoc/>
    public string Name => "replies";

    /// <inheritdoc/>
    public string Description => "SmtpReplyReader: span, final and not, multi-segment, streamed with resumed state; replies valid per RFC 5321 4.2";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        input = input[..Math.Min(input.Length, MaxInputLength)];
        for (int i = 0; i <= s_options.Length; i++)
        {
            SmtpReplyReaderOptions? options = i < s_options.Length ? s_options[i] : DerivedOptions(input);
            string mode = options is null ? "defaults"
                : $"options #{i} (line {options.MaxLineLength}, reply {options.MaxReplyLength}, lines {options.MaxLines}, CRLF {options.RequireCrLf})";
            ReadOnlySpan<byte> guarded = GuardedBuffers.Get(0).CopyToTail(input).Span;
            ReplyOutcome whole = ReadSpan(guarded, options ?? SmtpReplyReaderOptions.Default, isFinalBlock: true, validate: true);

            ReplyOutcome open = ReadSpan(guarded, options ?? SmtpReplyReaderOptions.Default, isFinalBlock: false, validate: false);
            CheckNotFinal(whole, open, input.Length, mode);

            var random = DerivedRandom.From(input, (ulong)i);
            int[] cuts = random.Cuts(input.Length, random.Next(2, 8));
            ReplyOutcome sequence = ReadSequence(Segments.Cut(input, cuts, firstSlot: 1), options);
            whole.CheckSame(sequence, $"{mode}, as a sequence cut at [{string.Join(", ", cuts)}]");

            int[] pieces = input.Length <= ByteByByteLength ? [.. Enumerable.Range(0, input.Length + 1)] : random.Cuts(input.Length, 64);
            ReplyOutcome streamed = ReadStreamed(input, pieces, options);
            whole.CheckSame(streamed, $"{mode}, streamed {(input.Length <= ByteByByteLength ? "a byte at a time" : "in 64 pieces")}");
        }
    }

    /// <summary>Limits drawn from the input, down to the smallest allowed, so that every boundary gets its turn.</summary>
    private static SmtpReplyReaderOptions DerivedOptions(ReadOnlySpan<byte> input)
    {
        var random = DerivedRandom.From(input, salt: 0x6F7074);
        int line = random.Next(5, 64);
        return new SmtpReplyReaderOptions
        {
            MaxLineLength = line,
            MaxReplyLength = random.Next(line, 4 * line),
            MaxLines = random.Next(1, 8),
            RequireCrLf = random.Next(2) == 0,
        };
    }

    /// <summary>Reads a span to its end; with <paramref name="validate"/>, checks every reply against the grammar.</summary>
    private static ReplyOutcome ReadSpan(ReadOnlySpan<byte> input, SmtpReplyReaderOptions options, bool isFinalBlock, bool validate)
    {
        var outcome = new ReplyOutcome();
        var reader = new SmtpReplyReader(input, isFinalBlock, new SmtpReplyReaderState(options));
        OperationStatus status;
        while ((status = reader.Read(out SmtpReply reply)) == OperationStatus.Done)
        {
            long start = outcome.Consumed;
            Check.That(reply.RawSpan.Length > 0 && !reply.HasRawSequence, "a reply read from a span has its raw bytes as a span");
            Check.Equal(start + reply.RawSpan.Length, reader.BytesConsumed, "BytesConsumed after a reply");
            Check.That(reply.RawSpan == input.Slice((int)start, reply.RawSpan.Length), "a reply's raw bytes are the input's, in place");
            if (validate)
            {
                ReplyGrammar.Validate(reply, reply.RawSpan, options);
            }

            outcome.Add(reply, reader.BytesConsumed);
        }

        if (status == OperationStatus.InvalidData)
        {
            Check.That(reader.Error != SmtpCodecError.None, "InvalidData names an error");
            Check.That(reader.ErrorOffset >= reader.BytesConsumed && reader.ErrorOffset <= input.Length, $"the error offset {reader.ErrorOffset} lies in the failing reply (consumed {reader.BytesConsumed}, length {input.Length})");
            Check.Equal(OperationStatus.InvalidData, reader.Read(out _), "a read after InvalidData");
            outcome.Fail(reader.Error, reader.ErrorOffset);
        }
        else
        {
            Check.Equal(OperationStatus.NeedMoreData, status, "the status at the end of the input");
            if (isFinalBlock)
            {
                Check.Equal((long)input.Length, reader.BytesConsumed, "a final block read without error is consumed whole");
            }

            Check.Equal(input.Length - reader.BytesConsumed, (long)reader.CurrentState.PendingBytes, "PendingBytes at NeedMoreData (the unconsumed bytes were all scanned)");
        }

        return outcome;
    }

    /// <summary>Not final, the input gives the same replies; where the final read was truncated it needs more data.</summary>
    private static void CheckNotFinal(ReplyOutcome whole, ReplyOutcome open, int length, string mode)
    {
        if (whole.Error == SmtpCodecError.TruncatedReply)
        {
            Check.Equal(length, whole.ErrorOffset, $"{mode}: a truncated reply's offset (the end of the input)");
            whole.CheckSameReplies(open, $"{mode}, not final");
            Check.Equal(SmtpCodecError.None, open.Error, $"{mode}: not final, a truncated reply needs more data");
        }
        else
        {
            whole.CheckSame(open, $"{mode}, not final");
        }
    }

    private static ReplyOutcome ReadSequence(ReadOnlySequence<byte> input, SmtpReplyReaderOptions? options)
    {
        var outcome = new ReplyOutcome();
        var reader = new SmtpReplyReader(input, isFinalBlock: true, new SmtpReplyReaderState(options));
        OperationStatus status;
        while ((status = reader.Read(out SmtpReply reply)) == OperationStatus.Done)
        {
            long length = reply.HasRawSequence ? reply.RawSequence.Length : reply.RawSpan.Length;
            Check.Equal(outcome.Consumed + length, reader.BytesConsumed, "BytesConsumed after a reply from a sequence");
            Check.Equal(input.GetPosition(reader.BytesConsumed), reader.Position, "Position after a reply from a sequence");
            byte[] raw = reply.HasRawSequence ? reply.RawSequence.ToArray() : reply.RawSpan.ToArray();
            Check.Bytes(input.Slice(outcome.Consumed, length).ToArray(), raw, "a reply's raw bytes from a sequence");
            outcome.Add(reply, reader.BytesConsumed);
        }

        if (status == OperationStatus.InvalidData)
        {
            outcome.Fail(reader.Error, reader.ErrorOffset);
        }
        else
        {
            Check.Equal(input.Length, reader.BytesConsumed, "a final sequence read without error is consumed whole");
        }

        return outcome;
    }

    /// <summary>Feeds the input as a pipe would: at each cut more bytes arrive; unconsumed bytes are passed again with the state.</summary>
    private static ReplyOutcome ReadStreamed(ReadOnlySpan<byte> input, int[] cuts, SmtpReplyReaderOptions? options)
    {
        var outcome = new ReplyOutcome();
        var state = new SmtpReplyReaderState(options);
        GuardedBuffer buffer = GuardedBuffers.Get(9);
        foreach (int available in cuts)
        {
            bool isFinalBlock = available == input.Length;
            ReadOnlySpan<byte> pending = buffer.CopyToTail(input[(int)outcome.Consumed..available]).Span;
            var reader = new SmtpReplyReader(pending, isFinalBlock, state);
            long before = outcome.Consumed;
            OperationStatus status;
            while ((status = reader.Read(out SmtpReply reply)) == OperationStatus.Done)
            {
                outcome.Add(reply, before + reader.BytesConsumed);
            }

            if (status == OperationStatus.InvalidData)
            {
                outcome.Fail(reader.Error, before + reader.ErrorOffset);
                return outcome;
            }

            Check.Equal(pending.Length - reader.BytesConsumed, (long)reader.CurrentState.PendingBytes, "PendingBytes after a streamed read");
            state = reader.CurrentState;
            if (isFinalBlock)
            {
                Check.Equal((long)input.Length, outcome.Consumed, "a streamed input read without error is consumed whole");
                return outcome;
            }
        }

        throw Check.Fail("the cuts must end at the input's length");
    }

    /// <summary>What reading an input gave: each reply in a canonical form with the offset after it, then the error.</summary>
    private sealed class ReplyOutcome
    {
        private readonly List<string> _replies = [];

        public long Consumed { get; private set; }

        public SmtpCodecError Error { get; private set; }

        public long ErrorOffset { get; private set; }

        public void Add(SmtpReply reply, long consumedAfter)
        {
            var text = new StringBuilder();
            text.Append(reply.Code).Append('|').Append(reply.EnhancedStatusCode?.ToString() ?? "-").Append('|').Append(reply.LineCount);
            foreach (SmtpReplyLine line in reply.GetLines())
            {
                var bytes = new byte[line.Length];
                Check.Equal(line.Length, line.CopyTo(bytes), "SmtpReplyLine.CopyTo's count");
                Check.That(line.TextEquals(bytes), "SmtpReplyLine.TextEquals of its own copy");
                text.Append('|').Append(Encoding.Latin1.GetString(bytes)).Append(line.IsLast ? "$" : "");
            }

            _replies.Add(text.Append('@').Append(consumedAfter).ToString());
            Consumed = consumedAfter;
        }

        public void Fail(SmtpCodecError error, long offset)
        {
            Error = error;
            ErrorOffset = offset;
        }

        public void CheckSameReplies(ReplyOutcome other, string way)
        {
            for (int i = 0; i < Math.Max(_replies.Count, other._replies.Count); i++)
            {
                string expected = i < _replies.Count ? _replies[i] : "(none)";
                string actual = i < other._replies.Count ? other._replies[i] : "(none)";
                Check.Equal(expected, actual, $"reply #{i} read {way}");
            }
        }

        public void CheckSame(ReplyOutcome other, string way)
        {
            CheckSameReplies(other, way);
            Check.Equal((Error, ErrorOffset), (other.Error, other.ErrorOffset), $"the error and its offset read {way}");
        }
    }
}
