namespace SmtpCodec.Client;

/// <summary>What <see cref="SmtpConnectionOptions.CredentialsProvider"/> is asked for.</summary>
/// <param name="Host">The server the connection is for.</param>
/// <param name="RefusedWith">Default on a connection's first request; the server's refusal (535) when the credentials it
/// gave were refused and fresh ones are wanted (an expired OAuth access token).</param>
public readonly record struct SmtpCredentialsRequest(string Host, SmtpResponse RefusedWith)
{
    /// <summary>Whether the previous credentials were refused: refresh them (a new access token), do not return the same.</summary>
    public bool IsRefresh => !RefusedWith.IsNone;
}
