using System.Buffers;

namespace SmtpCodec.Replies;

/// <summary>The path for sequences of several segments: the same scanner, fed a segment at a time.</summary>
public ref partial struct SmtpReplyReader
{
    private OperationStatus ReadMultiSegment(out SmtpReply reply)
    {
        ReadOnlySequence<byte> remaining = _sequence.Slice(_consumed);
        int resumeAt = _state.Scan.ReplyBytes;
        if (resumeAt > remaining.Length)
        {
            ThrowStateAhead(resumeAt, remaining.Length);
        }

        SmtpReplyReaderOptions options = _state.Options;
        if (resumeAt == 0 && TryReadWhole(remaining.FirstSpan, options, out reply))
        {
            return OperationStatus.Done;
        }

        long scanned = resumeAt;
        foreach (ReadOnlyMemory<byte> segment in remaining.Slice(resumeAt))
        {
            switch (_state.Scan.Advance(segment.Span, options, out int used, out var error, out int errorOffset))
            {
                case ReplyScanResult.Complete:
                    long length = scanned + used;
                    ReadOnlySequence<byte> bytes = remaining.Slice(0, length);
                    reply = bytes.IsSingleSegment
                        ? SmtpReply.FromSpan(bytes.FirstSpan, _state.Scan.Code, _state.Scan.Lines)
                        : SmtpReply.FromSequence(bytes, _state.Scan.Code, _state.Scan.Lines);
                    _consumed += length;
                    _state.Reset();
                    return OperationStatus.Done;

                case ReplyScanResult.Invalid:
                    reply = default;
                    return Fail(error, errorOffset);

                default:
                    scanned += segment.Length;
                    break;
            }
        }

        reply = default;
        return EndOfInput(remaining.Length);
    }
}
