namespace SmtpCodec.Sink;

/// <summary>What an injected fault does to the reply of the command it strikes.</summary>
public enum SmtpSinkFaultKind
{
    /// <summary>A 4xx reply instead of the real one (<c>4xx</c> on the command line); the command has no effect.</summary>
    TransientReply,

    /// <summary>A 5xx reply instead of the real one (<c>5xx</c>); the command has no effect.</summary>
    PermanentReply,

    /// <summary>421 and the connection closed (<c>421</c>), as a server shutting down does (RFC 5321 section 3.8).</summary>
    ShutDown,

    /// <summary>The connection closed with no reply (<c>drop</c>), as a crash or a network failure does.</summary>
    Drop,

    /// <summary>
    /// The reply leaves a fixed time (<c>delay</c>, in milliseconds) later than it would after its command arrived;
    /// replies after it in the same batch of pipelined commands wait for it, as replies keep their order.
    /// </summary>
    Delay,
}
