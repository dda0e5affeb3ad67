namespace SmtpCodec.Client;

/// <summary>
/// The server as telemetry names it (server.address, server.port): the host given to the connection or the pool,
/// and the port when it is known (connections over TCP; not a stream opened by the caller). The port is boxed once
/// here, so that tags cost nothing per message.
/// </summary>
internal readonly struct SmtpEndpoint(string? address, int? port)
{
    public string? Address { get; } = string.IsNullOrEmpty(address) ? null : address;

    public object? Port { get; } = port is > 0 ? port.Value : null;
}
