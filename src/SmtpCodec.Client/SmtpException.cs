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

    /// <summary>
    /// True for 4xx replies, network failures and timeouts; false for 5xx replies and protocol violations, and
    /// false whenever <see cref="MayHaveBeenDelivered"/> is true (trying again could deliver the message twice).
    /// </summary>
    public bool IsTransient { get; private set; }

    /// <summary>
    /// True when the message may have reached the server: the end of data was written and no reply to it was
    /// read (the connection failed or timed out in between), or part of its recipients already have it. Do not
    /// send it again blindly: it could arrive twice.
    /// </summary>
    public bool MayHaveBeenDelivered { get; private set; }

    /// <summary>Marks a failure that came after the message may have reached the server: never transient.</summary>
    internal void MarkMayHaveBeenDelivered()
    {
        MayHaveBeenDelivered = true;
        IsTransient = false;
    }

    /// <summary>The server's reply code, or 0 when the server gave none.</summary>
    public virtual int ReplyCode => 0;

    /// <summary>The server's enhanced status code, when it gave one.</summary>
    public virtual EnhancedStatusCode? EnhancedStatusCode => null;
}
