using SmtpCodec.Replies;

namespace SmtpCodec.Client;

/// <summary>The server answered with a reply that fails the operation (4xx or 5xx, or a code out of place).</summary>
public sealed class SmtpReplyException : SmtpException
{
    /// <summary>Creates the exception from the server's reply.</summary>
    /// <param name="phase">Where the session was.</param>
    /// <param name="reply">The reply.</param>
    /// <param name="what">What was attempted, e.g. "MAIL FROM".</param>
    public SmtpReplyException(SmtpPhase phase, SmtpResponse reply, string what)
        : base(phase, $"{what} failed: the server replied {reply}", isTransient: reply.IsTransientFailure)
    {
        Reply = reply;
    }

    /// <summary>The reply that failed the operation.</summary>
    public SmtpResponse Reply { get; }

    /// <inheritdoc/>
    public override int ReplyCode => Reply.Code;

    /// <inheritdoc/>
    public override EnhancedStatusCode? EnhancedStatusCode => Reply.EnhancedStatusCode;
}
