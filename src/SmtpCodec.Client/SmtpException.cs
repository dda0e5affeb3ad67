using SmtpCodec.Replies;

namespace SmtpCodec.Client;

/// <summary>
/// A failed SMTP operation: the phase it failed in, the server's reply code and enhanced status code
/// when the server gave one, and whether trying again later may succeed.
/// </summary>
public class SmtpException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="phase">Where the session was.</param>
    /// <param name="message">What happened, in one sentence.</param>
    /// <param name="isTransient">Whether the failure is temporary (4xx, network, timeout).</param>
    /// <param name="innerException">The cause, if any.</param>
    public SmtpException(SmtpPhase phase, string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        Phase = phase;
        IsTransient = isTransient;
    }

    /// <summary>Creates an exception with no further detail (for serializers and frameworks).</summary>
    public SmtpException()
        : this(SmtpPhase.Other, "The SMTP operation failed.", isTransient: false)
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public SmtpException(string message)
        : this(SmtpPhase.Other, message, isTransient: false)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public SmtpException(string message, Exception innerException)
        : this(SmtpPhase.Other, message, isTransient: false, innerException)
    {
    }

    /// <summary>Where the session was when it failed.</summary>
    public SmtpPhase Phase { get; }

    /// <summary>True for 4xx replies, network failures and timeouts; false for 5xx replies and protocol violations.</summary>
    public bool IsTransient { get; }

    /// <summary>The server's reply code, or 0 when the server gave none.</summary>
    public virtual int ReplyCode => 0;

    /// <summary>The server's enhanced status code, when it gave one.</summary>
    public virtual EnhancedStatusCode? EnhancedStatusCode => null;
}
