namespace SmtpCodec.Benchmarks.Micro;

/// <summary>Reply texts shared by the benchmarks.</summary>
internal static class ReplyTexts
{
    /// <summary>The seed article's iCloud reply to EHLO.</summary>
    public const string ICloudEhlo =
        "250-smtp.mail.me.com\r\n250-PIPELINING\r\n250-SIZE 28319744\r\n250-ETRN\r\n" +
        "250-AUTH LOGIN PLAIN ATOKEN ATOKEN2 WSTOKEN WETOKEN XOAUTH2\r\n250-ENHANCEDSTATUSCODES\r\n" +
        "250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8\r\n";
}
