namespace SmtpCodec.Client;

/// <summary>A phase took longer than its timeout (RFC 5321 section 4.5.3.2); the connection is closed.</summary>
public sealed class SmtpTimeoutException : SmtpException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="phase">The phase that ran out of time.</param>
    /// <param name="timeout">Its timeout.</param>
    public SmtpTimeoutException(SmtpPhase phase, TimeSpan timeout)
        : base(phase, $"The server did not answer within {timeout.TotalSeconds:0.###} s ({phase}).", isTransient: true)
    {
        Timeout = timeout;
    }

    /// <summary>The timeout that passed.</summary>
    public TimeSpan Timeout { get; }
}
