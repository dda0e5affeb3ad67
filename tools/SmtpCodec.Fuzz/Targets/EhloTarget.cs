using System.Buffers;
using System.Globalization;
using System.Text;
using SmtpCodec.Capabilities;
using SmtpCodec.Fuzz.Support;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;

namespace SmtpCodec.Fuzz.Targets;

/// <summary>
/// <c>ehlo</c>: <see cref="EhloCapabilities.Read"/> on every reply the reader returns for the input. It never
/// throws; what it reads from a reply is the same when the reply is read again (by the same instance after
/// other replies, by a fresh one, and from a multi-segment copy); and what it accepts agrees with the lines:
/// keyword flags, unknown keywords, SIZE and AUTH mechanisms, matched here by plain case-insensitive comparison.
/// </summary>
public sealed class EhloTarget : IFuzzTarget
{
    /// <inheritdoc/>
    public string Name => "ehlo";

    /// <inheritdoc/>
    public string Description => "EhloCapabilities.Read on every reply: never throws, reads the same again, agrees with the lines";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        input = input[..Math.Min(input.Length, ReplyTarget.MaxInputLength)];
        var reused = new EhloCapabilities();
        var reader = new SmtpReplyReader(GuardedBuffers.Get(0).CopyToTail(input).Span, isFinalBlock: true);
        var random = DerivedRandom.From(input);
        int index = 0;
        while (reader.Read(out SmtpReply reply) == OperationStatus.Done)
        {
            string where = $"reply #{index++}";
            SmtpCodecError error = reused.Read(reply);
            string first = Snapshot(reused, error);
            CheckAgreesWithLines(reused, error, reply, where);

            Check.Equal(first, Snapshot(reused, reused.Read(reply)), $"{where} read again by the same instance");
            var fresh = new EhloCapabilities();
            Check.Equal(first, Snapshot(fresh, fresh.Read(reply)), $"{where} read by a fresh instance");

            ReadOnlySpan<byte> raw = reply.RawSpan;
            ReadOnlySequence<byte> pieces = Segments.Cut(raw, random.Cuts(raw.Length, random.Next(2, 6)), firstSlot: 1);
            var again = new SmtpReplyReader(pieces, isFinalBlock: true);
            Check.Equal(OperationStatus.Done, again.Read(out SmtpReply copy), $"{where} read again from segments");
            var fromSegments = new EhloCapabilities();
            Check.Equal(first, Snapshot(fromSegments, fromSegments.Read(copy)), $"{where} read from a multi-segment copy");

            fresh.Clear();
            Check.Equal(Snapshot(new EhloCapabilities(), SmtpCodecError.None), Snapshot(fresh, SmtpCodecError.None), "Clear forgets everything");
        }
    }

    /// <summary>Everything an instance exposes, as text.</summary>
    private static string Snapshot(EhloCapabilities capabilities, SmtpCodecError error)
    {
        var text = new StringBuilder();
        text.Append(error).Append(" line ").Append(capabilities.ErrorLine)
            .Append(" | ").Append(capabilities.Extensions)
            .Append(" | size ").Append(capabilities.SizeLimit?.ToString(CultureInfo.InvariantCulture) ?? "-")
            .Append(" | auth ").Append(capabilities.AuthMechanisms)
            .Append(" | limits ").Append(capabilities.MailMax).Append('/').Append(capabilities.RcptMax).Append('/').Append(capabilities.RcptDomainMax)
            .Append(" | by ").Append(capabilities.DeliverByMinimum)
            .Append(" | domain ").Append(Encoding.Latin1.GetString(capabilities.GreetingDomain));
        for (int i = 0; i < capabilities.UnknownAuthMechanismCount; i++)
        {
            text.Append(" | mechanism ").Append(Encoding.Latin1.GetString(capabilities.GetUnknownAuthMechanism(i)));
        }

        for (int i = 0; i < capabilities.UnknownKeywordCount; i++)
        {
            text.Append(" | unknown ").Append(Encoding.Latin1.GetString(capabilities.GetUnknownKeyword(i)))
                .Append(' ').Append(Encoding.Latin1.GetString(capabilities.GetUnknownParameters(i)));
        }

        foreach (EhloKeyword keyword in EhloKeywords.All)
        {
            if (capabilities.Supports(keyword))
            {
                text.Append(" | ").Append(EhloKeywords.GetName(keyword)).Append(' ').Append(Encoding.Latin1.GetString(capabilities.GetParameters(keyword)));
            }
        }

        return text.ToString();
    }

    private static void CheckAgreesWithLines(EhloCapabilities capabilities, SmtpCodecError error, SmtpReply reply, string where)
    {
        if (reply.Code != 250)
        {
            Check.Equal(SmtpCodecError.NotAnEhloReply, error, $"{where}: a reply other than 250");
            return;
        }

        if (error != SmtpCodecError.None)
        {
            Check.That(
                error is SmtpCodecError.InvalidCapabilityKeyword or SmtpCodecError.InvalidCapabilityParameter or SmtpCodecError.NumberOverflow,
                $"{where}: {error} is one of the errors Read documents");
            Check.That(capabilities.ErrorLine >= 1 && capabilities.ErrorLine < reply.LineCount, $"{where}: ErrorLine {capabilities.ErrorLine} names a keyword line");
            return;
        }

        var expected = EhloExtensions.None;
        var mechanisms = SaslMechanismFlags.None;
        var unknownMechanisms = new List<byte[]>();
        int unknownKeywords = 0;
        int sizeLines = 0;
        ulong? size = null;
        int index = 0;
        foreach (SmtpReplyLine line in reply.GetLines())
        {
            byte[] text = new byte[line.Length];
            line.CopyTo(text);
            if (index++ == 0)
            {
                ReadOnlySpan<byte> domain = capabilities.GreetingDomain;
                Check.That(text.AsSpan().StartsWith(domain) && !domain.Contains((byte)' ') && (domain.Length == text.Length || text[domain.Length] == (byte)' '), $"{where}: the greeting domain is the first word");
                continue;
            }

            (byte[] keyword, byte[] parameters) = SplitKeywordLine(text);
            if (keyword.Length == 0)
            {
                continue;
            }

            EhloKeyword known = Known(keyword);
            if (known == EhloKeyword.None)
            {
                unknownKeywords++;
                continue;
            }

            expected |= EhloKeywords.ToFlag(known);
            if (known == EhloKeyword.Size)
            {
                sizeLines++;
                string digits = Encoding.Latin1.GetString(parameters).Split(' ', '\t')[0];
                size = digits.Length == 0 ? null : ulong.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (known == EhloKeyword.Auth)
            {
                foreach (string word in Encoding.Latin1.GetString(parameters).Split(' ', '\t'))
                {
                    byte[] name = Encoding.Latin1.GetBytes(word);
                    SaslMechanism mechanism = KnownMechanism(name);
                    if (mechanism != SaslMechanism.None)
                    {
                        mechanisms |= SaslMechanismNames.ToFlag(mechanism);
                    }
                    else if (name.Length > 0 && !unknownMechanisms.Exists(seen => Ascii.EqualsIgnoreCase(seen, name)))
                    {
                        unknownMechanisms.Add(name);
                    }
                }
            }
        }

        Check.Equal(expected, capabilities.Extensions, $"{where}: the keywords offered");
        Check.Equal(unknownKeywords, capabilities.UnknownKeywordCount, $"{where}: unknown keywords");
        Check.Equal(mechanisms, capabilities.AuthMechanisms, $"{where}: known AUTH mechanisms");
        Check.Equal(unknownMechanisms.Count, capabilities.UnknownAuthMechanismCount, $"{where}: distinct unknown AUTH mechanisms");
        if (sizeLines == 1)
        {
            Check.Equal(size, capabilities.SizeLimit, $"{where}: SIZE (RFC 1870)");
        }

        Check.That(capabilities.SizeLimit is null || capabilities.Supports(EhloKeyword.Size), $"{where}: a SIZE limit comes with SIZE");
        Check.That(capabilities.DeliverByMinimum is null || capabilities.Supports(EhloKeyword.DeliverBy), $"{where}: a DELIVERBY minimum comes with DELIVERBY");
        Check.That((capabilities.MailMax ?? capabilities.RcptMax ?? capabilities.RcptDomainMax) is null || capabilities.Supports(EhloKeyword.Limits), $"{where}: LIMITS values come with LIMITS");
    }

    /// <summary>The first word after leading blanks (AUTH=X is AUTH with parameters X) and the rest, trimmed.</summary>
    private static (byte[] Keyword, byte[] Parameters) SplitKeywordLine(byte[] text)
    {
        int start = 0;
        while (start < text.Length && text[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }

        int end = start;
        while (end < text.Length && text[end] is not ((byte)' ' or (byte)'\t'))
        {
            end++;
        }

        int parameters = end;
        if (end - start > 5 && Ascii.EqualsIgnoreCase(text.AsSpan(start, 5), "AUTH="u8))
        {
            parameters = start + 5;
            end = start + 4;
        }

        string rest = Encoding.Latin1.GetString(text, parameters, text.Length - parameters).Trim(' ', '\t');
        return (text[start..end], Encoding.Latin1.GetBytes(rest));
    }

    private static EhloKeyword Known(ReadOnlySpan<byte> keyword)
    {
        foreach (EhloKeyword candidate in EhloKeywords.All)
        {
            if (Ascii.EqualsIgnoreCase(keyword, EhloKeywords.GetUtf8Name(candidate)))
            {
                return candidate;
            }
        }

        return EhloKeyword.None;
    }

    private static SaslMechanism KnownMechanism(ReadOnlySpan<byte> name)
    {
        foreach (SaslMechanism candidate in SaslMechanismNames.All)
        {
            if (Ascii.EqualsIgnoreCase(name, SaslMechanismNames.GetUtf8Name(candidate)))
            {
                return candidate;
            }
        }

        return SaslMechanism.None;
    }
}
