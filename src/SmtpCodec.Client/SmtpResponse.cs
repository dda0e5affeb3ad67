using System.Globalization;
using SmtpCodec.Protocol;
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

    /// <summary>Whether the code is 2xx (positive completion, RFC 5321 section 4.2.1).</summary>
    public bool IsSuccess => Code / 100 == 2;

    /// <summary>Whether the code is 3xx (positive intermediate: 354 to DATA, 334 to AUTH).</summary>
    public bool IsIntermediate => Code / 100 == 3;

    /// <summary>Whether the code is 4xx (transient negative: trying again later may succeed).</summary>
    public bool IsTransientFailure => Code / 100 == 4;

    /// <summary>Whether the code is 5xx (permanent negative).</summary>
    public bool IsPermanentFailure => Code / 100 == 5;

    /// <summary>Whether the server is closing the session (421, RFC 5321 section 3.8): nothing after it is answered.</summary>
    public bool IsClosing => Code == (int)SmtpReplyCode.ServiceNotAvailable;

    /// <summary>Whether this is a reply at all (a default value is none).</summary>
    public bool IsNone => Code == 0;

    /// <summary>Whether the code is the given one.</summary>
    /// <param name="code">A code of the generated vocabulary.</param>
    /// <returns>True when they are the same number.</returns>
    public bool Is(SmtpReplyCode code) => Code == (int)code;

    /// <summary>Whether a RCPT was accepted: 250, or 251 (the server will forward).</summary>
    public bool IsRecipientAccepted => Code is (int)SmtpReplyCode.Completed or (int)SmtpReplyCode.UserNotLocalWillForward;

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
