namespace SmtpCodec.Replies;

/// <summary>
/// Limits and leniencies of <see cref="SmtpReplyReader"/>. Immutable; share one instance per
/// configuration (the reader keeps a reference in its state, so nothing is allocated per read).
/// </summary>
public sealed class SmtpReplyReaderOptions
{
    /// <summary>The defaults: 8192 bytes per line, 65536 bytes per reply, 1000 lines, bare LF accepted.</summary>
    public static SmtpReplyReaderOptions Default { get; } = new();

    /// <summary>Most bytes in one reply line, counting the code and the line end (RFC 5321 section 4.5.3.1.5 asks for at least 512).</summary>
    public int MaxLineLength { get; init; } = 8192;

    /// <summary>Most bytes in one reply, all lines and line ends counted.</summary>
    public int MaxReplyLength { get; init; } = 65536;

    /// <summary>Most lines in one reply.</summary>
    public int MaxLines { get; init; } = 1000;

    /// <summary>
    /// When <see langword="true"/>, a line ending in LF alone is invalid (<c>BareLineFeed</c>); by default a
    /// bare LF is accepted as a line end, as most clients do.
    /// </summary>
    public bool RequireCrLf { get; init; }

    internal void Validate()
    {
        // A line needs room for at least a code and its line end.
        if (MaxLineLength < 5 || MaxReplyLength < MaxLineLength || MaxLines < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(MaxLineLength),
                $"Reply limits must satisfy MaxLineLength >= 5, MaxReplyLength >= MaxLineLength and MaxLines >= 1 (got {MaxLineLength}, {MaxReplyLength}, {MaxLines}).");
        }
    }
}
