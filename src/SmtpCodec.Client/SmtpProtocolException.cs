namespace SmtpCodec.Client;

/// <summary>
/// The server broke the protocol: a malformed reply, bytes where none may be (after the 220 to
/// STARTTLS), or the connection closed mid-reply. The connection cannot be used any more.
/// </summary>
public sealed class SmtpProtocolException : SmtpException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="phase">Where the session was.</param>
    /// <param name="message">What the server did wrong.</param>
    /// <param name="isTransient">True when the cause is the network (a closed connection), not a broken server.</param>
    /// <param name="innerException">The cause, if any.</param>
    public SmtpProtocolException(SmtpPhase phase, string message, bool isTransient = false, Exception? innerException = null)
        : base(phase, message, isTransient, innerException)
    {
    }
}
