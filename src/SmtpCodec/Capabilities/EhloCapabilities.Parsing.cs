using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text;
using SmtpCodec.Protocol;

namespace SmtpCodec.Capabilities;

// Reading one line of the EHLO reply: the greeting, then a keyword and its parameters, read as the table's kind says.
public sealed partial class EhloCapabilities
{
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
        EhloParameterSyntax syntax = ParameterSyntaxOf is null ? EhloKeywords.GetParameterSyntax(known) : ParameterSyntaxOf(known);
        return ReadParameters(syntax, parameters);
    }

    /// <summary>Reads a known keyword's parameters as its kind in the table says (never by the keyword); an absent optional number leaves its property null.</summary>
    private SmtpCodecError ReadParameters(EhloParameterSyntax syntax, Segment parameters)
    {
        SmtpCodecError error = SmtpCodecError.None;
        switch (syntax)
        {
            case EhloParameterSyntax.Size:
                error = ReadOptionalNumber(Slice(parameters), out ulong? size);
                SizeLimit = size;
                break;
            case EhloParameterSyntax.DeliverBy:
                error = ReadOptionalNumber(Slice(parameters), out ulong? minimum);
                DeliverByMinimum = minimum;
                break;
            case EhloParameterSyntax.Number:
                // No property holds it: the number is checked here and read back through GetParameters.
                error = ReadOptionalNumber(Slice(parameters), out _);
                break;
            case EhloParameterSyntax.Mechanisms:
                error = ReadMechanisms(parameters);
                break;
            case EhloParameterSyntax.Limits:
                error = ReadLimits(Slice(parameters));
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
}
