using System.Buffers;
using SmtpCodec.Protocol;

namespace SmtpCodec.Replies;

/// <summary>Where the scanner stopped: the outcome of <see cref="ReplyScan.Advance"/>.</summary>
internal enum ReplyScanResult
{
    NeedMoreData,
    Complete,
    Invalid,
}

/// <summary>
/// The resumable scanner behind <see cref="SmtpReplyReader"/>: a small state machine over the reply
/// grammar of RFC 5321 section 4.2 that can be fed a reply in pieces of any size. Offsets are relative
/// to the first byte of the reply.
/// </summary>
internal struct ReplyScan
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';
    private const byte Ht = (byte)'\t';

    private const byte PhaseSeparator = 3;
    private const byte PhaseText = 4;
    private const byte PhaseAfterCr = 5;

    // NUL, the other C0 controls and DEL stop the text scan; HT, CR and LF are then handled one by one.
    private static readonly SearchValues<byte> s_controls = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    /// <summary>Bytes of the reply scanned so far.</summary>
    internal int ReplyBytes;

    /// <summary>Offset of the current line's first byte.</summary>
    internal int LineStart;

    /// <summary>Complete lines so far.</summary>
    internal int Lines;

    /// <summary>The code of the first line (0 until its three digits are read).</summary>
    internal int Code;

    /// <summary>The digits of the current line's code read so far.</summary>
    internal int LineCode;

    /// <summary>0-2: reading code digit N; 3: separator; 4: text; 5: after CR.</summary>
    internal byte Phase;

    /// <summary>The current line ends the reply (its separator was SP or a line end, not '-').</summary>
    internal bool LastLine;

    /// <summary>Scans the next piece of the reply.</summary>
    /// <param name="chunk">Bytes that follow the ones already scanned.</param>
    /// <param name="options">Limits in force.</param>
    /// <param name="used">On Complete, bytes of <paramref name="chunk"/> that belong to the reply.</param>
    /// <param name="error">On Invalid, what is wrong.</param>
    /// <param name="errorOffset">On Invalid, the offending byte's offset from the reply's first byte.</param>
    internal ReplyScanResult Advance(ReadOnlySpan<byte> chunk, SmtpReplyReaderOptions options, out int used, out SmtpCodecError error, out int errorOffset)
    {
        int i = 0;
        while (i < chunk.Length)
        {
            int position = ReplyBytes + i;
            if (Phase == PhaseText)
            {
                // Skip plain text a vector at a time, no further than the line and reply limits allow:
                // a peer cannot make us buffer more.
                int allowed = Math.Min(options.MaxLineLength - (position - LineStart), options.MaxReplyLength - position);
                int window = Math.Min(chunk.Length - i, allowed);
                int found = chunk.Slice(i, window).IndexOfAny(s_controls);
                if (found < 0)
                {
                    i += window;
                    if (window == allowed)
                    {
                        return Fail(LimitError(options, ReplyBytes + i), ReplyBytes + i, out used, out error, out errorOffset);
                    }

                    continue;
                }

                i += found;
                position += found;
            }

            // Codes, separators, control bytes and CR LF pairs go byte by byte; each must fit the limits.
            if (position + 1 - LineStart > options.MaxLineLength || position + 1 > options.MaxReplyLength)
            {
                return Fail(LimitError(options, position), position, out used, out error, out errorOffset);
            }

            byte b = chunk[i];
            bool lineEnds = false;
            switch (Phase)
            {
                case 0 or 1 or 2:
                    // RFC 5321 section 4.2: first digit 2-5, second 0-5, third 0-9.
                    byte min = Phase == 0 ? (byte)'2' : (byte)'0';
                    byte max = Phase == 2 ? (byte)'9' : (byte)'5';
                    if (b < min || b > max)
                    {
                        return Fail(SmtpCodecError.InvalidReplyCode, position, out used, out error, out errorOffset);
                    }

                    LineCode = (LineCode * 10) + (b - '0');
                    Phase++;
                    if (Phase == PhaseSeparator)
                    {
                        if (Lines == 0)
                        {
                            Code = LineCode;
                        }
                        else if (LineCode != Code)
                        {
                            // RFC 5321 section 4.2.1: every line of a multiline reply carries the same code.
                            return Fail(SmtpCodecError.MismatchedContinuationCode, LineStart, out used, out error, out errorOffset);
                        }
                    }

                    break;

                case PhaseSeparator:
                    if (b is (byte)'-' or (byte)' ')
                    {
                        LastLine = b == (byte)' ';
                        Phase = PhaseText;
                        break;
                    }

                    if (b is not (Cr or Lf))
                    {
                        return Fail(SmtpCodecError.InvalidCodeSeparator, position, out used, out error, out errorOffset);
                    }

                    // A code alone is a whole last line (the bare "334" of an AUTH exchange).
                    LastLine = true;
                    goto case PhaseText;

                case PhaseText:
                    if (b == Cr)
                    {
                        Phase = PhaseAfterCr;
                    }
                    else if (b == Lf)
                    {
                        if (options.RequireCrLf)
                        {
                            return Fail(SmtpCodecError.BareLineFeed, position, out used, out error, out errorOffset);
                        }

                        lineEnds = true;
                    }
                    else if (b != Ht)
                    {
                        return Fail(SmtpCodecError.InvalidControlByte, position, out used, out error, out errorOffset);
                    }

                    break;

                default: // PhaseAfterCr
                    if (b != Lf)
                    {
                        return Fail(SmtpCodecError.BareCarriageReturn, position - 1, out used, out error, out errorOffset);
                    }

                    lineEnds = true;
                    break;
            }

            i++;
            if (lineEnds)
            {
                ReplyScanResult ended = EndLine(position, options, out error, out errorOffset);
                if (ended != ReplyScanResult.NeedMoreData)
                {
                    used = i;
                    return ended;
                }
            }
        }

        ReplyBytes += chunk.Length;
        used = chunk.Length;
        error = SmtpCodecError.None;
        errorOffset = 0;
        return ReplyScanResult.NeedMoreData;
    }

    /// <summary>Closes the line whose LF is at <paramref name="lfOffset"/>: Complete when it ends the reply, NeedMoreData when more lines follow.</summary>
    private ReplyScanResult EndLine(int lfOffset, SmtpReplyReaderOptions options, out SmtpCodecError error, out int errorOffset)
    {
        Lines++;
        if (Lines > options.MaxLines)
        {
            error = SmtpCodecError.TooManyLines;
            errorOffset = LineStart;
            return ReplyScanResult.Invalid;
        }

        error = SmtpCodecError.None;
        errorOffset = 0;
        if (LastLine)
        {
            ReplyBytes = lfOffset + 1;
            return ReplyScanResult.Complete;
        }

        LineStart = lfOffset + 1;
        LineCode = 0;
        Phase = 0;
        return ReplyScanResult.NeedMoreData;
    }

    private readonly SmtpCodecError LimitError(SmtpReplyReaderOptions options, int position) =>
        position - LineStart >= options.MaxLineLength ? SmtpCodecError.LineTooLong : SmtpCodecError.ReplyTooLong;

    private static ReplyScanResult Fail(SmtpCodecError kind, int offset, out int used, out SmtpCodecError error, out int errorOffset)
    {
        used = 0;
        error = kind;
        errorOffset = offset;
        return ReplyScanResult.Invalid;
    }
}
