using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using SmtpCodec.Protocol;

namespace SmtpCodec.Replies;

/// <summary>
/// An enhanced mail system status code, <c>class.subject.detail</c> (RFC 3463), as servers put it at the
/// start of reply text when they offer ENHANCEDSTATUSCODES (RFC 2034).
/// </summary>
public readonly struct EnhancedStatusCode : IEquatable<EnhancedStatusCode>, ISpanFormattable, IUtf8SpanFormattable
{
    private readonly ushort _subject;
    private readonly ushort _detail;
    private readonly byte _class;

    /// <summary>Creates a code from its three parts.</summary>
    /// <param name="statusClass">2 (success), 4 (persistent transient failure) or 5 (permanent failure).</param>
    /// <param name="subject">0 to 999.</param>
    /// <param name="detail">0 to 999.</param>
    public EnhancedStatusCode(int statusClass, int subject, int detail)
    {
        if (statusClass is not (2 or 4 or 5))
        {
            throw new ArgumentOutOfRangeException(nameof(statusClass), statusClass, "The class of an enhanced status code is 2, 4 or 5 (RFC 3463 section 3.1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(subject);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(subject, 999);
        ArgumentOutOfRangeException.ThrowIfNegative(detail);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(detail, 999);
        _class = (byte)statusClass;
        _subject = (ushort)subject;
        _detail = (ushort)detail;
    }

    // Parts known to be in range: no checks.
    private EnhancedStatusCode(byte statusClass, ushort subject, ushort detail)
    {
        _class = statusClass;
        _subject = subject;
        _detail = detail;
    }

    /// <summary>2, 4 or 5; 0 for a default value.</summary>
    public int Class => _class;

    /// <summary>The subject: 0 other, 1 addressing, 2 mailbox, 3 mail system, 4 network, 5 protocol, 6 content, 7 security.</summary>
    public int Subject => _subject;

    /// <summary>The detail number within the subject.</summary>
    public int Detail => _detail;

    /// <summary>The registry entry for this code, or <see cref="KnownEnhancedStatus.None"/>.</summary>
    public KnownEnhancedStatus Known => EnhancedStatusCodeRegistry.Find(_class, _subject, _detail);

    /// <summary>The registry's sample text (e.g. "Bad destination mailbox address"), or null for an unregistered code.</summary>
    public string? Name => Known is var known && known != KnownEnhancedStatus.None ? EnhancedStatusCodeRegistry.GetName(known) : null;

    /// <summary>What the code means, in one sentence, or null for an unregistered code.</summary>
    public string? Description => Known is var known && known != KnownEnhancedStatus.None ? EnhancedStatusCodeRegistry.GetDescription(known) : null;

    /// <summary>Whether the class is 2.</summary>
    public bool IsSuccess => _class == 2;

    /// <summary>Whether the class is 4: trying again later may work.</summary>
    public bool IsTransient => _class == 4;

    /// <summary>Whether the class is 5.</summary>
    public bool IsPermanent => _class == 5;

    /// <summary>Parses <c>class.subject.detail</c> at the start of <paramref name="utf8"/> (RFC 3463 section 2).</summary>
    /// <param name="utf8">Text that starts with the code; whatever follows it is not examined.</param>
    /// <param name="code">The code, when one is there.</param>
    /// <param name="bytesConsumed">The length of the code's text.</param>
    /// <returns>Whether a code of class 2, 4 or 5 with 1-3 digit subject and detail starts the text.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out EnhancedStatusCode code, out int bytesConsumed)
    {
        code = default;
        bytesConsumed = 0;
        if (utf8.Length < 5 || utf8[0] is not ((byte)'2' or (byte)'4' or (byte)'5') || utf8[1] != (byte)'.')
        {
            return false;
        }

        int position = 2;
        if (!TryReadPart(utf8, ref position, out int subject) || position >= utf8.Length || utf8[position] != (byte)'.')
        {
            return false;
        }

        position++;
        if (!TryReadPart(utf8, ref position, out int detail))
        {
            return false;
        }

        code = new EnhancedStatusCode(utf8[0] - '0', subject, detail);
        bytesConsumed = position;
        return true;
    }

    /// <summary>Parses a whole string such as <c>5.1.1</c>.</summary>
    /// <param name="text">The code and nothing else.</param>
    /// <param name="code">The code when the text is one.</param>
    /// <returns>Whether the text is exactly a code.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out EnhancedStatusCode code)
    {
        code = default;
        if (text is null || text.Length > 9)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[9];
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] > 0x7F)
            {
                return false;
            }

            utf8[i] = (byte)text[i];
        }

        return TryParse(utf8.Slice(0, text.Length), out code, out int used) && used == text.Length;
    }

    /// <summary>Parses a whole string such as <c>5.1.1</c>.</summary>
    /// <param name="text">The code and nothing else.</param>
    /// <returns>The code.</returns>
    /// <exception cref="FormatException">The text is not a code.</exception>
    public static EnhancedStatusCode Parse(string text) =>
        TryParse(text, out EnhancedStatusCode code)
            ? code
            : throw new FormatException($"'{text}' is not an enhanced status code (class.subject.detail, class 2, 4 or 5, parts of 1-3 digits).");

    /// <summary>
    /// The code at the start of a reply line's text, recognised only as RFC 3463 and RFC 2034 have it:
    /// its class equals the reply code's first digit and it is followed by a space or the end of the line.
    /// </summary>
    internal static EnhancedStatusCode? FromReplyText(ReadOnlySpan<byte> text, int replyCode)
    {
        // The usual form, one digit each for subject and detail ("2.1.0 Ok", "5.7.1 ..."), read without the general parser.
        if (text.Length >= 5 && (text.Length == 5 || text[5] == (byte)' ') && text[1] == (byte)'.' && text[3] == (byte)'.'
            && text[0] is (byte)'2' or (byte)'4' or (byte)'5' && text[0] - '0' == replyCode / 100
            && (uint)(text[2] - '0') <= 9 && (uint)(text[4] - '0') <= 9)
        {
            return new EnhancedStatusCode((byte)(text[0] - '0'), (ushort)(text[2] - '0'), (ushort)(text[4] - '0'));
        }

        if (TryParse(text, out EnhancedStatusCode code, out int used)
            && code.Class == replyCode / 100
            && (used == text.Length || text[used] == (byte)' '))
        {
            return code;
        }

        return null;
    }

    private static bool TryReadPart(ReadOnlySpan<byte> utf8, ref int position, out int value)
    {
        value = 0;
        int start = position;
        while (position < utf8.Length && position - start < 3 && (uint)(utf8[position] - '0') <= 9)
        {
            value = (value * 10) + (utf8[position] - '0');
            position++;
        }

        // 1-3 digits, and a fourth digit makes it something else.
        return position > start && (position >= utf8.Length || (uint)(utf8[position] - '0') > 9);
    }

    /// <inheritdoc/>
    public bool Equals(EnhancedStatusCode other) => _class == other._class && _subject == other._subject && _detail == other._detail;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EnhancedStatusCode other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => (_class << 20) | (_subject << 10) | _detail;

    /// <summary>Equality of all three parts.</summary>
    /// <param name="left">A code.</param>
    /// <param name="right">Another code.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(EnhancedStatusCode left, EnhancedStatusCode right) => left.Equals(right);

    /// <summary>Inequality of any part.</summary>
    /// <param name="left">A code.</param>
    /// <param name="right">Another code.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(EnhancedStatusCode left, EnhancedStatusCode right) => !left.Equals(right);

    /// <summary>The code as <c>class.subject.detail</c>.</summary>
    /// <returns>For example <c>5.1.1</c>.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Class}.{Subject}.{Detail}");

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc/>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(CultureInfo.InvariantCulture, $"{Class}.{Subject}.{Detail}", out charsWritten);

    /// <inheritdoc/>
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        System.Text.Unicode.Utf8.TryWrite(utf8Destination, CultureInfo.InvariantCulture, $"{Class}.{Subject}.{Detail}", out bytesWritten);
}
