namespace SmtpCodec.Client;

/// <summary>How long each phase may take; the defaults are those of RFC 5321 section 4.5.3.2.</summary>
public sealed class SmtpTimeouts
{
    /// <summary>Opening the connection (and an implicit TLS handshake): 1 minute.</summary>
    public TimeSpan Connect { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The 220 greeting: 5 minutes (RFC 5321 section 4.5.3.2.1).</summary>
    public TimeSpan Greeting { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>EHLO, STARTTLS, AUTH, RSET, NOOP, QUIT: 5 minutes, as MAIL.</summary>
    public TimeSpan Command { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>MAIL and each RCPT: 5 minutes (RFC 5321 sections 4.5.3.2.2 and 4.5.3.2.3).</summary>
    public TimeSpan MailRcpt { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The 354 after DATA: 2 minutes (RFC 5321 section 4.5.3.2.4).</summary>
    public TimeSpan Data { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Each block of content sent: 3 minutes (RFC 5321 section 4.5.3.2.5).</summary>
    public TimeSpan DataBlock { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>The reply to the end of data: 10 minutes (RFC 5321 section 4.5.3.2.6).</summary>
    public TimeSpan EndOfData { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The timeout of a phase.</summary>
    /// <param name="phase">The phase.</param>
    /// <returns>Its timeout.</returns>
    public TimeSpan For(SmtpPhase phase) => phase switch
    {
        SmtpPhase.Connect => Connect,
        SmtpPhase.Greeting => Greeting,
        SmtpPhase.Mail or SmtpPhase.Rcpt => MailRcpt,
        SmtpPhase.Data => Data,
        SmtpPhase.DataBlock => DataBlock,
        SmtpPhase.EndOfData => EndOfData,
        _ => Command,
    };

    /// <summary>Adds a problem for each timeout that is not positive, each key prefixed with <paramref name="prefix"/>.</summary>
    internal void Validate(List<string> problems, string prefix)
    {
        Positive(problems, prefix + nameof(Connect), Connect);
        Positive(problems, prefix + nameof(Greeting), Greeting);
        Positive(problems, prefix + nameof(Command), Command);
        Positive(problems, prefix + nameof(MailRcpt), MailRcpt);
        Positive(problems, prefix + nameof(Data), Data);
        Positive(problems, prefix + nameof(DataBlock), DataBlock);
        Positive(problems, prefix + nameof(EndOfData), EndOfData);
    }

    private static void Positive(List<string> problems, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add($"{key}: {value} is not a positive time.");
        }
    }
}
