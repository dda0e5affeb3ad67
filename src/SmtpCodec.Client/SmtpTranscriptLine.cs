namespace SmtpCodec.Client;

/// <summary>Who sent a transcript line.</summary>
public enum SmtpTranscriptDirection
{
    /// <summary>The client (<c>C:</c>).</summary>
    Client = 0,

    /// <summary>The server (<c>S:</c>).</summary>
    Server = 1,

    /// <summary>A note of the client's own, such as the TLS version after a handshake.</summary>
    Note = 2,
}

/// <summary>One line of a session transcript, without its line end.</summary>
/// <param name="Direction">Who sent it.</param>
/// <param name="Text">The line; AUTH secrets are redacted unless the options say otherwise.</param>
public readonly record struct SmtpTranscriptLine(SmtpTranscriptDirection Direction, string Text)
{
    /// <summary>The <see cref="SmtpConnection.Id"/> of the connection the line belongs to, so that lines of a pool's connections can be told apart.</summary>
    public long ConnectionId { get; init; }

    /// <summary>The line as the seed article prints it: <c>C: EHLO ...</c> or <c>S: 250 ...</c>.</summary>
    /// <returns>The prefixed line.</returns>
    public override string ToString() => Direction switch
    {
        SmtpTranscriptDirection.Client => "C: " + Text,
        SmtpTranscriptDirection.Server => "S: " + Text,
        _ => "* " + Text,
    };
}
