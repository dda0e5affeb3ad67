namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>
/// Tests against real peers (Postfix, aiosmtpd, Node smtp-server, swaks, openssl) run one class at a
/// time: each class starts its own peer process, and two peers at once would only compete for the two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class InteropTestGroup
{
    public const string Name = "Interop: real peers";
}
