namespace SmtpCodec.Replies;

/// <summary>
/// What <see cref="SmtpReplyReader"/> knows of a reply that has not fully arrived: it crosses an
/// <see langword="await"/> (a plain struct, unlike the reader), so that the next read resumes where the
/// scan stopped instead of rescanning the bytes already validated.
/// </summary>
public struct SmtpReplyReaderState
{
    internal ReplyScan Scan;
    private readonly SmtpReplyReaderOptions? _options;

    /// <summary>Starts with no pending reply.</summary>
    /// <param name="options">Limits and leniencies; <see cref="SmtpReplyReaderOptions.Default"/> when null.</param>
    public SmtpReplyReaderState(SmtpReplyReaderOptions? options)
    {
        options?.Validate();
        _options = options;
        Scan = default;
    }

    /// <summary>The options in force (the defaults for a default-initialized state).</summary>
    public readonly SmtpReplyReaderOptions Options => _options ?? SmtpReplyReaderOptions.Default;

    /// <summary>Bytes of a pending reply already scanned and found valid; 0 between replies.</summary>
    public readonly int PendingBytes => Scan.ReplyBytes;

    internal void Reset() => Scan = default;
}
