namespace SmtpCodec.Protocol;

/// <summary>How the parameters after an EHLO keyword are read.</summary>
public enum EhloParameterSyntax
{
    /// <summary>The keyword takes no parameters; anything after it is ignored.</summary>
    None = 0,

    /// <summary>An optional decimal size limit (RFC 1870); absent or 0 means no fixed limit.</summary>
    Size = 1,

    /// <summary>A list of SASL mechanism names (RFC 4954).</summary>
    Mechanisms = 2,

    /// <summary><c>name=value</c> pairs (RFC 9422 LIMITS).</summary>
    Limits = 3,

    /// <summary>
    /// An optional decimal number that no property holds: it is checked, and read back through
    /// <see cref="Capabilities.EhloCapabilities.GetParameters"/>.
    /// </summary>
    Number = 4,

    /// <summary>Words kept as text.</summary>
    Words = 5,

    /// <summary>DELIVERBY's optional minimum by-time in seconds (RFC 2852 section 4), read into <see cref="Capabilities.EhloCapabilities.DeliverByMinimum"/>.</summary>
    DeliverBy = 6,
}
