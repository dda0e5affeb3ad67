namespace SmtpCodec.Protocol;

/// <summary>The syntax of an ESMTP parameter's value on MAIL or RCPT.</summary>
public enum EsmtpValueSyntax
{
    /// <summary>The keyword stands alone (SMTPUTF8, REQUIRETLS).</summary>
    None = 0,

    /// <summary>A decimal number of up to 20 digits (SIZE).</summary>
    Number = 1,

    /// <summary>One keyword of a fixed set (BODY, RET).</summary>
    Keyword = 2,

    /// <summary>Keywords of a fixed set joined by commas (NOTIFY).</summary>
    KeywordList = 3,

    /// <summary>RFC 3461 section 4 xtext (ENVID, AUTH=).</summary>
    Xtext = 4,

    /// <summary>An address type, a semicolon, then xtext (ORCPT, RFC 3461 section 4.2).</summary>
    AddressTypeXtext = 5,

    /// <summary>A signed one-digit number (MT-PRIORITY, RFC 6710).</summary>
    SignedNumber = 6,

    /// <summary>A by-time, a semicolon and a by-mode (BY, RFC 2852).</summary>
    ByValue = 7,

    /// <summary>An RFC 3339 date-time with an optional mode (RRVS, RFC 7293).</summary>
    DateTime = 8,
}
