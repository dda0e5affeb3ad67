using SmtpCodec.Replies;

namespace SmtpCodec.Client;

/// <summary>
/// Keeps the texts of recent one-line replies, so that a server repeating itself ("2.1.0 Ok", "354 End data
/// with ...") costs one string per connection rather than one per reply. Entries that keep matching survive
/// (second-chance replacement), so a unique "queued as ..." reply per message evicts only other one-offs.
/// </summary>
internal sealed class ReplyTextCache
{
    private const int Entries = 8;
    private const int MaxLength = 128;

    private readonly byte[][] _bytes = new byte[Entries][];
    private readonly int[] _lengths = new int[Entries];
    private readonly string?[] _texts = new string?[Entries];
    private readonly bool[] _used = new bool[Entries];
    private int _hand;

    public string GetText(in SmtpReply reply)
    {
        if (reply.LineCount != 1)
        {
            return reply.GetText();
        }

        SmtpReplyLine line = reply.FirstLine;
        int length = line.Length;
        if (length > MaxLength)
        {
            return line.GetString();
        }

        for (int i = 0; i < Entries; i++)
        {
            if (_texts[i] is { } text && _lengths[i] == length && line.TextEquals(_bytes[i].AsSpan(0, length)))
            {
                _used[i] = true;
                return text;
            }
        }

        // Second chance: skip (and clear) entries that matched since the hand last passed them.
        while (_used[_hand])
        {
            _used[_hand] = false;
            _hand = (_hand + 1) % Entries;
        }

        int slot = _hand;
        _hand = (_hand + 1) % Entries;
        string fresh = line.GetString();
        byte[] bytes = _bytes[slot] ??= new byte[MaxLength];
        line.CopyTo(bytes);
        _lengths[slot] = length;
        _texts[slot] = fresh;
        return fresh;
    }
}
