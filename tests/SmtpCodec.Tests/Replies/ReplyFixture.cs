using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;

namespace SmtpCodec.Tests.Replies;

/// <summary>A reply the fixture expects: code, enhanced status code (or null) and each line's text.</summary>
public sealed record ExpectedReply(int Code, string? Enhanced, params string[] Lines)
{
    /// <summary>A canonical form that compares bytes exactly (line texts as UTF-8 read through Latin-1).</summary>
    public string Canonical =>
        $"{Code}|{Enhanced ?? "-"}|{string.Join("\u0001", Lines.Select(l => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(l))))}";
}

/// <summary>
/// An input and what reading it must give: the replies, then either a clean end or an error with the
/// offset of the offending byte. Every fixture is read whole, split at every offset, one byte per segment
/// and streamed, and every way must agree (<c>ReplyReadingHarness</c>).
/// </summary>
public sealed record ReplyFixture(string Name, byte[] Input, ExpectedReply[] Replies, SmtpCodecError Error = SmtpCodecError.None, long ErrorOffset = 0, SmtpReplyReaderOptions? Options = null)
{
    public static ReplyFixture Valid(string name, string input, params ExpectedReply[] replies) =>
        new(name, Encoding.UTF8.GetBytes(input), replies);

    public static ReplyFixture Invalid(string name, string input, SmtpCodecError error, long offset, params ExpectedReply[] before) =>
        new(name, Encoding.UTF8.GetBytes(input), before, error, offset);

    public override string ToString() => Name;
}
