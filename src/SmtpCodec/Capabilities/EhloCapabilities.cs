using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;

namespace SmtpCodec.Capabilities;

/// <summary>
/// What a server offers, read from its 250 reply to EHLO (RFC 5321 section 4.1.1.1): the greeting domain,
/// a flag per keyword of the spec table, SIZE, AUTH mechanisms, LIMITS, DELIVERBY, and every other
/// keyword with its parameters. The reply's text is copied into storage this instance reuses, so reading
/// a reply of a size seen before allocates nothing, and the values outlive the input buffer.
/// </summary>
public sealed class EhloCapabilities
{
    private byte[] _text = new byte[512];
    private int _textLength;
    private Entry[] _entries = new Entry[32];
    private int _entryCount;
    private Segment[] _unknownMechanisms = new Segment[8];
    private Segment _greetingDomain;

    /// <summary>The keywords offered, one flag each.</summary>
    public EhloExtensions Extensions { get; private set; }

    /// <summary>The SIZE limit in octets (RFC 1870) when SIZE carries a number (0: no fixed limit); null when SIZE is absent or bare.</summary>
    public ulong? SizeLimit { get; private set; }

    /// <summary>The SASL mechanisms listed on AUTH lines (both <c>AUTH PLAIN</c> and the old <c>AUTH=PLAIN</c> form) that the table knows.</summary>
    public SaslMechanismFlags AuthMechanisms { get; private set; }

    /// <summary>How many AUTH mechanism names the table does not know (e.g. ATOKEN).</summary>
    public int UnknownAuthMechanismCount { get; private set; }

    /// <summary>LIMITS MAILMAX (RFC 9422 section 4.1): most transactions per connection, when given.</summary>
    public ulong? MailMax { get; private set; }

    /// <summary>LIMITS RCPTMAX (RFC 9422 section 4.2): most recipients per transaction, when given.</summary>
    public ulong? RcptMax { get; private set; }

    /// <summary>LIMITS RCPTDOMAINMAX (RFC 9422 section 4.3): most recipient domains per transaction, when given.</summary>
    public ulong? RcptDomainMax { get; private set; }

    /// <summary>DELIVERBY's minimum by-time in seconds (RFC 2852 section 4), when given.</summary>
    public ulong? DeliverByMinimum { get; private set; }

    /// <summary>How many keywords the table does not know (kept with their parameters).</summary>
    public int UnknownKeywordCount { get; private set; }

    /// <summary>After a failed <see cref="Read"/>: the index of the line at fault (0 is the greeting line).</summary>
    public int ErrorLine { get; private set; }

    /// <summary>The domain the server names itself by: the first word of the first line.</summary>
    public ReadOnlySpan<byte> GreetingDomain => Slice(_greetingDomain);

    /// <summary>The greeting domain as a string. Allocates.</summary>
    /// <returns>The domain.</returns>
    public string GetGreetingDomain() => Encoding.UTF8.GetString(GreetingDomain);

    /// <summary>Whether the server offers <paramref name="keyword"/>.</summary>
    /// <param name="keyword">An EHLO keyword.</param>
    /// <returns>True when one of the lines carries it.</returns>
    public bool Supports(EhloKeyword keyword) => (Extensions & EhloKeywords.ToFlag(keyword)) != 0;

    /// <summary>Whether the server offers every one of <paramref name="extensions"/>.</summary>
    /// <param name="extensions">A set of keywords.</param>
    /// <returns>True when all are offered.</returns>
    public bool SupportsAll(EhloExtensions extensions) => (Extensions & extensions) == extensions;

    /// <summary>The parameters after a known keyword (the first line that carries it), as sent; empty when absent.</summary>
    /// <param name="keyword">An EHLO keyword.</param>
    /// <returns>The parameter text, e.g. <c>LOGIN PLAIN</c> for AUTH.</returns>
    public ReadOnlySpan<byte> GetParameters(EhloKeyword keyword)
    {
        for (int i = 0; i < _entryCount; i++)
        {
            if (_entries[i].Keyword == keyword && keyword != EhloKeyword.None)
            {
                return Slice(_entries[i].Parameters);
            }
        }

        return default;
    }

    /// <summary>An AUTH mechanism name the table does not know.</summary>
    /// <param name="index">0 to <see cref="UnknownAuthMechanismCount"/> - 1.</param>
    /// <returns>The name as sent.</returns>
    public ReadOnlySpan<byte> GetUnknownAuthMechanism(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, UnknownAuthMechanismCount);
        return Slice(_unknownMechanisms[index]);
    }

    /// <summary>A keyword the table does not know, as sent.</summary>
    /// <param name="index">0 to <see cref="UnknownKeywordCount"/> - 1.</param>
    /// <returns>The keyword.</returns>
    public ReadOnlySpan<byte> GetUnknownKeyword(int index) => Slice(UnknownEntry(index).Name);

    /// <summary>The parameters after a keyword the table does not know.</summary>
    /// <param name="index">0 to <see cref="UnknownKeywordCount"/> - 1.</param>
    /// <returns>The parameter text; empty when there is none.</returns>
    public ReadOnlySpan<byte> GetUnknownParameters(int index) => Slice(UnknownEntry(index).Parameters);

    /// <summary>Forgets everything (e.g. after STARTTLS, RFC 3207 section 4.2).</summary>
    public void Clear()
    {
        _textLength = 0;
        _entryCount = 0;
        _greetingDomain = default;
        Extensions = EhloExtensions.None;
        SizeLimit = null;
        AuthMechanisms = SaslMechanismFlags.None;
        UnknownAuthMechanismCount = 0;
        MailMax = RcptMax = RcptDomainMax = DeliverByMinimum = null;
        UnknownKeywordCount = 0;
        ErrorLine = 0;
    }

    /// <summary>Replaces what this instance holds with the capabilities in <paramref name="reply"/>.</summary>
    /// <param name="reply">The server's reply to EHLO.</param>
    /// <returns>
    /// <see cref="SmtpCodecError.None"/>, or what was wrong (<see cref="ErrorLine"/> says where):
    /// NotAnEhloReply, InvalidCapabilityKeyword, InvalidCapabilityParameter or NumberOverflow.
    /// </returns>
    public SmtpCodecError Read(SmtpReply reply)
    {
        Clear();
        if (reply.Code != 250)
        {
            return SmtpCodecError.NotAnEhloReply;
        }

        // The whole reply is copied once; every value is then a segment of the copy.
        int length = reply.HasRawSequence ? checked((int)reply.RawSequence.Length) : reply.RawSpan.Length;
        if (length + Vector256<byte>.Count > _text.Length)
        {
            _text = new byte[Math.Max(_text.Length * 2, length + Vector256<byte>.Count)];
        }

        if (reply.HasRawSequence)
        {
            reply.RawSequence.CopyTo(_text);
        }
        else
        {
            reply.RawSpan.CopyTo(_text);
        }

        _textLength = length;
        ReadOnlySpan<byte> raw = _text.AsSpan(0, length);
        int lineStart = 0;
        for (int lineIndex = 0; lineStart < length; lineIndex++)
        {
            int lf = raw.Slice(lineStart).IndexOf((byte)'\n');
            int lineEnd = lf < 0 ? length : lineStart + lf;
            int textEnd = lineEnd > lineStart && raw[lineEnd - 1] == (byte)'\r' ? lineEnd - 1 : lineEnd;

            // The text follows the code and its separator; a code alone has none (as SmtpReplyLineEnumerator reads it).
            Segment text = textEnd - lineStart > 4 ? new Segment(lineStart + 4, textEnd - lineStart - 4) : new Segment(lineStart, 0);
            SmtpCodecError error = lineIndex == 0 ? ReadGreeting(text) : ReadKeywordLine(text);
            if (error != SmtpCodecError.None)
            {
                ErrorLine = lineIndex;
                return error;
            }

            lineStart = lineEnd + 1;
        }

        return SmtpCodecError.None;
    }

    private SmtpCodecError ReadGreeting(Segment text)
    {
        ReadOnlySpan<byte> span = Slice(text);
        int space = span.IndexOf((byte)' ');
        _greetingDomain = new Segment(text.Start, space < 0 ? text.Length : space);
        return SmtpCodecError.None;
    }

    private SmtpCodecError ReadKeywordLine(Segment text)
    {
        // Lines are short: plain loops beat the setup of a vectorized search here.
        ReadOnlySpan<byte> line = Slice(text);
        int start = 0;
        while (start < line.Length && IsBlank(line[start]))
        {
            start++;
        }

        // Postfix's smtp-sink ends its list with an empty "250 " line: nothing to read there.
        if (start == line.Length)
        {
            return SmtpCodecError.None;
        }

        // The keyword runs to the first blank. One 32-byte load finds it and the bytes a keyword cannot hold
        // (the copy keeps 32 bytes of room past the reply, so the load never leaves the buffer).
        int end = start;
        uint outside = 0;
        bool vectorized = false;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> bytes = Vector256.LoadUnsafe(ref _text[text.Start + start]);
            uint blanks = (Vector256.Equals(bytes, Vector256.Create((byte)' ')) | Vector256.Equals(bytes, Vector256.Create((byte)'\t'))).ExtractMostSignificantBits();
            int keywordLength = Math.Min(BitOperations.TrailingZeroCount(blanks), line.Length - start);
            if (keywordLength < Vector256<byte>.Count)
            {
                outside = (Vector256.LessThan(bytes, Vector256.Create((byte)0x21)) | Vector256.GreaterThan(bytes, Vector256.Create((byte)0x7E))).ExtractMostSignificantBits();
                end = start + keywordLength;
                vectorized = true;
            }
        }

        if (!vectorized)
        {
            while (end < line.Length && !IsBlank(line[end]))
            {
                end++;
            }
        }

        ReadOnlySpan<byte> keyword = line.Slice(start, end - start);
        int parametersStart = end;

        // Servers of the RFC 2554 drafts era advertise "AUTH=LOGIN PLAIN": the same list after '='.
        if (keyword.Length > 5 && keyword[4] == (byte)'=' && Ascii.EqualsIgnoreCase(keyword.Slice(0, 4), "AUTH"u8))
        {
            keyword = keyword.Slice(0, 4);
            parametersStart = start + 5;
        }

        if (vectorized ? (outside & ((1u << keyword.Length) - 1)) != 0 : HasByteOutsideKeyword(keyword))
        {
            return SmtpCodecError.InvalidCapabilityKeyword;
        }

        while (parametersStart < line.Length && IsBlank(line[parametersStart]))
        {
            parametersStart++;
        }

        int parametersEnd = line.Length;
        while (parametersEnd > parametersStart && IsBlank(line[parametersEnd - 1]))
        {
            parametersEnd--;
        }

        var parameters = new Segment(text.Start + parametersStart, parametersEnd - parametersStart);
        var name = new Segment(text.Start + start, keyword.Length);
        EhloKeyword known = EhloKeywords.TryParse(keyword, out EhloKeyword matched) ? matched : EhloKeyword.None;
        AddEntry(new Entry(known, name, parameters));
        if (known == EhloKeyword.None)
        {
            UnknownKeywordCount++;
            return SmtpCodecError.None;
        }

        Extensions |= EhloKeywords.ToFlag(known);
        if (parameters.Length == 0 && known != EhloKeyword.Size && known != EhloKeyword.DeliverBy)
        {
            return SmtpCodecError.None;
        }

        ReadOnlySpan<byte> values = Slice(parameters);
        SmtpCodecError error = SmtpCodecError.None;
        switch (EhloKeywords.GetParameterSyntax(known))
        {
            case EhloParameterSyntax.Size:
                error = ReadOptionalNumber(values, out ulong? size);
                SizeLimit = size;
                break;
            case EhloParameterSyntax.Number:
                error = ReadOptionalNumber(values, out ulong? minimum);
                DeliverByMinimum = minimum;
                break;
            case EhloParameterSyntax.Mechanisms:
                error = ReadMechanisms(parameters);
                break;
            case EhloParameterSyntax.Limits:
                error = ReadLimits(values);
                break;
        }

        return error;
    }

    private static bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t';

    private static bool HasByteOutsideKeyword(ReadOnlySpan<byte> keyword)
    {
        foreach (byte b in keyword)
        {
            if (b is <= (byte)' ' or >= 0x7F)
            {
                return true;
            }
        }

        return false;
    }

    private SmtpCodecError ReadMechanisms(Segment parameters)
    {
        ReadOnlySpan<byte> list = Slice(parameters);
        int position = 0;
        while (position < list.Length)
        {
            int length = 0;
            while (position + length < list.Length && !IsBlank(list[position + length]))
            {
                length++;
            }

            if (length > 0)
            {
                ReadOnlySpan<byte> name = list.Slice(position, length);
                if (SaslMechanismNames.TryParse(name, out SaslMechanism mechanism))
                {
                    AuthMechanisms |= SaslMechanismNames.ToFlag(mechanism);
                }
                else if (!IsKnownUnknownMechanism(name))
                {
                    if (UnknownAuthMechanismCount == _unknownMechanisms.Length)
                    {
                        Array.Resize(ref _unknownMechanisms, _unknownMechanisms.Length * 2);
                    }

                    _unknownMechanisms[UnknownAuthMechanismCount++] = new Segment(parameters.Start + position, length);
                }
            }

            position += length + 1;
        }

        return SmtpCodecError.None;
    }

    private bool IsKnownUnknownMechanism(ReadOnlySpan<byte> name)
    {
        for (int i = 0; i < UnknownAuthMechanismCount; i++)
        {
            if (Ascii.EqualsIgnoreCase(Slice(_unknownMechanisms[i]), name))
            {
                return true;
            }
        }

        return false;
    }

    private SmtpCodecError ReadLimits(ReadOnlySpan<byte> list)
    {
        int position = 0;
        while (position < list.Length)
        {
            int length = list.Slice(position).IndexOfAny((byte)' ', (byte)'\t');
            length = length < 0 ? list.Length - position : length;
            ReadOnlySpan<byte> limit = list.Slice(position, length);
            position += length + 1;
            int equals = limit.IndexOf((byte)'=');
            if (equals <= 0)
            {
                continue;
            }

            // RFC 9422 section 3: unknown limit names are ignored; known ones need a decimal value.
            ReadOnlySpan<byte> limitName = limit.Slice(0, equals);
            bool mailMax = Ascii.EqualsIgnoreCase(limitName, "MAILMAX"u8);
            bool rcptMax = Ascii.EqualsIgnoreCase(limitName, "RCPTMAX"u8);
            bool rcptDomainMax = Ascii.EqualsIgnoreCase(limitName, "RCPTDOMAINMAX"u8);
            if (!(mailMax || rcptMax || rcptDomainMax))
            {
                continue;
            }

            SmtpCodecError error = ParseNumber(limit.Slice(equals + 1), out ulong value);
            if (error != SmtpCodecError.None)
            {
                return error;
            }

            if (mailMax)
            {
                MailMax = value;
            }
            else if (rcptMax)
            {
                RcptMax = value;
            }
            else
            {
                RcptDomainMax = value;
            }
        }

        return SmtpCodecError.None;
    }

    private static SmtpCodecError ReadOptionalNumber(ReadOnlySpan<byte> parameters, out ulong? value)
    {
        value = null;
        if (parameters.IsEmpty)
        {
            return SmtpCodecError.None;
        }

        int end = 0;
        while (end < parameters.Length && !IsBlank(parameters[end]))
        {
            end++;
        }

        SmtpCodecError error = ParseNumber(parameters.Slice(0, end), out ulong number);
        if (error == SmtpCodecError.None)
        {
            value = number;
        }

        return error;
    }

    /// <summary>Decimal digits into 64 bits; an overflow is an error, never a wrap.</summary>
    private static SmtpCodecError ParseNumber(ReadOnlySpan<byte> digits, out ulong value)
    {
        value = 0;
        if (digits.IsEmpty)
        {
            return SmtpCodecError.InvalidCapabilityParameter;
        }

        foreach (byte b in digits)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9)
            {
                return SmtpCodecError.InvalidCapabilityParameter;
            }

            if (value > (ulong.MaxValue - digit) / 10)
            {
                return SmtpCodecError.NumberOverflow;
            }

            value = (value * 10) + digit;
        }

        return SmtpCodecError.None;
    }

    private void AddEntry(Entry entry)
    {
        if (_entryCount == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        _entries[_entryCount++] = entry;
    }

    private Entry UnknownEntry(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, UnknownKeywordCount);
        for (int i = 0, seen = 0; i < _entryCount; i++)
        {
            if (_entries[i].Keyword == EhloKeyword.None && seen++ == index)
            {
                return _entries[i];
            }
        }

        throw new InvalidOperationException("Unknown keyword entries and their count disagree.");
    }

    private ReadOnlySpan<byte> Slice(Segment segment) => _text.AsSpan(segment.Start, segment.Length);

    private readonly record struct Segment(int Start, int Length);

    private readonly record struct Entry(EhloKeyword Keyword, Segment Name, Segment Parameters);
}
