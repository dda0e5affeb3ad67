namespace SmtpCodec.Extensions.Hosting;

/// <summary>How the hosted service of a sender starts it; configuration keys under the sender's section's <c>Hosting</c>.</summary>
public sealed class SmtpSenderHostingOptions
{
    /// <summary>Open the pool's connections when the host starts (true by default), so that the first messages pay no greeting, TLS or AUTH.</summary>
    public bool OpenConnectionsAtStart { get; set; } = true;

    /// <summary>
    /// Fail the host's start when the connections cannot be opened (false by default: a warning is logged and the pool
    /// connects on the first messages, so that a mail server down for a minute does not stop the application).
    /// </summary>
    public bool RequireConnectionsAtStart { get; set; }
}
