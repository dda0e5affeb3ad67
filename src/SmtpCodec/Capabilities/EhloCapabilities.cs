using System.Buffers;
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
public sealed partial class EhloCapabilities
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

    /// <summary>
    /// When set, the parameter kind of each known keyword in place of the table's: lets a test give a
    /// keyword a kind no row has yet. Null (the table) everywhere else.
    /// </summary>
    internal Func<EhloKeyword, EhloParameterSyntax>? ParameterSyntaxOf { get; init; }

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
