using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using SmtpCodec.Protocol;

namespace SmtpCodec.Replies;

/// <summary>
/// Reads SMTP replies (RFC 5321 section 4.2) from bytes, one at a time, without allocating. Each
/// <see cref="Read"/> returns <see cref="OperationStatus.Done"/> with a reply,
/// <see cref="OperationStatus.NeedMoreData"/> with nothing consumed (keep <see cref="CurrentState"/> and
/// call again with the same bytes plus more), or <see cref="OperationStatus.InvalidData"/> with
/// <see cref="Error"/> and <see cref="ErrorOffset"/>. Peer input never makes it throw.
/// </summary>
/// <remarks>
/// The single-span path lives here; sequences of several segments go through
/// SmtpReplyReader.MultiSegment.cs. Replies refer to the input: use them before the buffer is released.
/// </remarks>
public ref partial struct SmtpReplyReader
{
    private readonly ReadOnlySpan<byte> _span;
    private readonly ReadOnlySequence<byte> _sequence;
    private readonly bool _isMultiSegment;
    private readonly bool _isFinalBlock;
    private SmtpReplyReaderState _state;
    private long _consumed;

    /// <summary>Reads replies from one span.</summary>
    /// <param name="buffer">The bytes; they start at a reply boundary (or at a reply this state has begun).</param>
    /// <param name="isFinalBlock">No more bytes will follow: an incomplete reply is <c>TruncatedReply</c>.</param>
    /// <param name="state">The state of a previous read that needed more data, or a new one.</param>
    public SmtpReplyReader(ReadOnlySpan<byte> buffer, bool isFinalBlock = false, SmtpReplyReaderState state = default)
    {
        _span = buffer;
        _sequence = default;
        _isMultiSegment = false;
        _isFinalBlock = isFinalBlock;
        _state = state;
        _consumed = 0;
        Error = SmtpCodecError.None;
        ErrorOffset = 0;
    }

    /// <summary>Reads replies from a sequence (a pipe's buffer); a single segment takes the span path.</summary>
    /// <param name="buffer">The bytes; they start at a reply boundary (or at a reply this state has begun).</param>
    /// <param name="isFinalBlock">No more bytes will follow: an incomplete reply is <c>TruncatedReply</c>.</param>
    /// <param name="state">The state of a previous read that needed more data, or a new one.</param>
    public SmtpReplyReader(ReadOnlySequence<byte> buffer, bool isFinalBlock = false, SmtpReplyReaderState state = default)
    {
        _sequence = buffer;
        _isMultiSegment = !buffer.IsSingleSegment;
        _span = _isMultiSegment ? default : buffer.FirstSpan;
        _isFinalBlock = isFinalBlock;
        _state = state;
        _consumed = 0;
        Error = SmtpCodecError.None;
        ErrorOffset = 0;
    }

    /// <summary>Bytes of the input taken by the replies read so far.</summary>
    public readonly long BytesConsumed => _consumed;

    /// <summary>
    /// Where the next reply starts in a sequence input: pass it to <c>PipeReader.AdvanceTo</c> as consumed
    /// (with the buffer's end as examined after <see cref="OperationStatus.NeedMoreData"/>).
    /// </summary>
    public readonly SequencePosition Position => _sequence.GetPosition(_consumed);

    /// <summary>The state to keep when a read needed more data.</summary>
    public readonly SmtpReplyReaderState CurrentState => _state;

    /// <summary>After <see cref="OperationStatus.InvalidData"/>: what was wrong.</summary>
    public SmtpCodecError Error { get; private set; }

    /// <summary>After <see cref="OperationStatus.InvalidData"/>: the offset of the offending byte in the input.</summary>
    public long ErrorOffset { get; private set; }

    /// <summary>Reads the next reply.</summary>
    /// <param name="reply">On <see cref="OperationStatus.Done"/>, the reply (it refers to the input bytes).</param>
    /// <returns>
    /// Done; NeedMoreData (also when a final block ends exactly between replies: there is nothing more to
    /// read); or InvalidData.
    /// </returns>
    public OperationStatus Read(out SmtpReply reply)
    {
        if (Error != SmtpCodecError.None)
        {
            // An invalid reply poisons the stream: framing after it cannot be trusted.
            reply = default;
            return OperationStatus.InvalidData;
        }

        return _isMultiSegment ? ReadMultiSegment(out reply) : ReadSingleSegment(out reply);
    }

    private OperationStatus ReadSingleSegment(out SmtpReply reply)
    {
        ReadOnlySpan<byte> remaining = _span.Slice((int)_consumed);
        int resumeAt = _state.Scan.ReplyBytes;
        if (resumeAt == 0)
        {
            if (remaining.IsEmpty)
            {
                // Exactly between replies: nothing pending, so not truncated even in a final block.
                reply = default;
                return OperationStatus.NeedMoreData;
            }

            if (TryReadWhole(remaining, _state.Options, out reply))
            {
                return OperationStatus.Done;
            }
        }
        else if (resumeAt > remaining.Length)
        {
            ThrowStateAhead(resumeAt, remaining.Length);
        }

        SmtpReplyReaderOptions options = _state.Options;
        switch (_state.Scan.Advance(remaining.Slice(resumeAt), options, out int used, out SmtpCodecError error, out int errorOffset))
        {
            case ReplyScanResult.Complete:
                int length = resumeAt + used;
                reply = SmtpReply.FromSpan(remaining.Slice(0, length), _state.Scan.Code, _state.Scan.Lines);
                _consumed += length;
                _state.Reset();
                return OperationStatus.Done;

            case ReplyScanResult.Invalid:
                reply = default;
                return Fail(error, errorOffset);

            default:
                reply = default;
                return EndOfInput(remaining.Length);
        }
    }

    /// <summary>The fast path: a new reply (no scan state pending) wholly inside <paramref name="input"/> and well formed.</summary>
    private bool TryReadWhole(ReadOnlySpan<byte> input, SmtpReplyReaderOptions options, out SmtpReply reply)
    {
        if (ReplyFastScan.TryScan(input, options, out int length, out int lines, out int code))
        {
            reply = SmtpReply.FromSpan(input.Slice(0, length), code, lines);
            _consumed += length;
            return true;
        }

        reply = default;
        return false;
    }

    /// <summary>Kept out of line so that the read paths carry no string-building locals.</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStateAhead(int resumeAt, long given) =>
        throw new InvalidOperationException(
            $"The state says {resumeAt} bytes of a reply were scanned, but only {given} are given: pass the unconsumed bytes again.");

    private OperationStatus EndOfInput(long pendingBytes)
    {
        if (_isFinalBlock && pendingBytes > 0)
        {
            return Fail(SmtpCodecError.TruncatedReply, pendingBytes);
        }

        return OperationStatus.NeedMoreData;
    }

    private OperationStatus Fail(SmtpCodecError error, long offsetInReply)
    {
        Error = error;
        ErrorOffset = _consumed + offsetInReply;
        return OperationStatus.InvalidData;
    }
}
