namespace SmtpCodec.Protocol;

/// <summary>The part of the codec an error kind belongs to.</summary>
public enum SmtpCodecErrorArea
{
    /// <summary>Reading a server reply.</summary>
    Reply = 0,

    /// <summary>Reading EHLO capabilities.</summary>
    Capability = 1,

    /// <summary>Stuffing or unstuffing message data.</summary>
    Data = 2,

    /// <summary>Writing a command.</summary>
    Command = 3,

    /// <summary>A SASL exchange.</summary>
    Sasl = 4,
}
