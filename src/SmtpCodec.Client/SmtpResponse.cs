using System.Globalization;
using SmtpCodec.Replies;

namespace SmtpCodec.Client;

/// <summary>A server reply kept beyond the read buffer: its code, enhanced status code and text.</summary>
public readonly struct SmtpResponse : IEquatable<SmtpResponse>
{
    // Null only in a default value (no reply at all), which Text shows as empty.
    private readonly string? _text;

    /// <summary>Creates a response.</summary>
    /// <param name="code">The three-digit code.</param>
    /// <param name="enhancedStatusCode">The enhanced status code, if any.</param>
    /// <param name="text">The lines' texts joined with LF.</param>
    public SmtpResponse(int code, EnhancedStatusCode? enhancedStatusCode, string text)
    {
        Code = code;
        EnhancedStatusCode = enhancedStatusCode;
        _text = text;
    }

    /// <summary>The three-digit reply code.</summary>
    public int Code { get; }

    /// <summary>The enhanced status code of the first line, when there is one.</summary>
    public EnhancedStatusCode? EnhancedStatusCode { get; }

    /// <summary>The text of the reply, lines joined with LF; empty for a default value (no reply).</summary>
    public string Text => _text ?? "";

    /// <summary>Whether the code is 2xx.</summary>
    public bool IsSuccess => Code / 100 == 2;

    /// <summary>The reply as the server sent its first line, e.g. <c>250 2.1.0 Ok</c>.</summary>
    /// <returns>The code and the text.</returns>
    public override string ToString() => Text.Length == 0 ? Code.ToString(CultureInfo.InvariantCulture) : $"{Code} {Text}";

    /// <inheritdoc/>
    public bool Equals(SmtpResponse other) => Code == other.Code && EnhancedStatusCode == other.EnhancedStatusCode && string.Equals(Text, other.Text, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SmtpResponse other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Code, EnhancedStatusCode, Text);

    /// <summary>Compares two responses.</summary>
    /// <param name="left">A response.</param>
    /// <param name="right">Another.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(SmtpResponse left, SmtpResponse right) => left.Equals(right);

    /// <summary>Compares two responses.</summary>
    /// <param name="left">A response.</param>
    /// <param name="right">Another.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(SmtpResponse left, SmtpResponse right) => !left.Equals(right);
}
