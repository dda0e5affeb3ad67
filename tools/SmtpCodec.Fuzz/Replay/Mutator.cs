using SmtpCodec.Fuzz.Support;

namespace SmtpCodec.Fuzz.Replay;

/// <summary>
/// Deterministic mutations of corpus inputs, in the spirit of afl-fuzz's havoc stage: bit flips, interesting
/// bytes and protocol tokens inserted or overwritten, ranges deleted or duplicated, splices with another input.
/// The same seed gives the same mutations on every machine, so a replay failure can be reproduced.
/// </summary>
public static class Mutator
{
    private static readonly byte[][] s_tokens =
    [
        "\r\n"u8.ToArray(), "\n"u8.ToArray(), "\r"u8.ToArray(), "."u8.ToArray(), "\r\n.\r\n"u8.ToArray(), "\r\n.."u8.ToArray(),
        "250-"u8.ToArray(), "250 "u8.ToArray(), "334 "u8.ToArray(), "5.7.1 "u8.ToArray(), "\0"u8.ToArray(), "\t"u8.ToArray(),
        "AUTH "u8.ToArray(), "SIZE "u8.ToArray(), "LIMITS RCPTMAX="u8.ToArray(), "r="u8.ToArray(), ",s="u8.ToArray(), ",i="u8.ToArray(),
        "v="u8.ToArray(), "e="u8.ToArray(), "="u8.ToArray(), "+"u8.ToArray(), "@"u8.ToArray(), "\xFF\xFE"u8.ToArray(), [0xE7, 0x98, 0x8A],
    ];

    private static readonly byte[] s_interesting = [0, 1, 0x7F, 0x80, 0xFF, (byte)'0', (byte)'9', (byte)'2', (byte)'5', (byte)' ', (byte)'-'];

    /// <summary>One mutation of <paramref name="input"/>.</summary>
    /// <param name="input">The input to mutate.</param>
    /// <param name="other">Another input, for splicing.</param>
    /// <param name="random">The generator (advanced).</param>
    /// <param name="maxLength">The longest result.</param>
    /// <returns>A new input.</returns>
    public static byte[] Mutate(byte[] input, byte[] other, ref DerivedRandom random, int maxLength)
    {
        var bytes = new List<byte>(input);
        int rounds = 1 << random.Next(0, 4);
        for (int round = 0; round < rounds; round++)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(9))
            {
                case 0 when bytes.Count > 0:
                    at = Math.Min(at, bytes.Count - 1);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] = s_interesting[random.Next(s_interesting.Length)];
                    break;
                case 2:
                    bytes.InsertRange(at, s_tokens[random.Next(s_tokens.Length)]);
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveRange(Math.Min(at, bytes.Count - 1), Math.Min(random.Next(1, 16), bytes.Count - Math.Min(at, bytes.Count - 1)));
                    break;
                case 4 when bytes.Count > 0:
                    int start = random.Next(bytes.Count);
                    int length = Math.Min(random.Next(1, 64), bytes.Count - start);
                    bytes.InsertRange(at, bytes.GetRange(start, length));
                    break;
                case 5 when other.Length > 0:
                    int from = random.Next(other.Length);
                    bytes.InsertRange(at, other[from..Math.Min(other.Length, from + random.Next(1, 128))]);
                    break;
                case 6:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 7 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] = (byte)random.Next(256);
                    break;
                default:
                    byte[] token = s_tokens[random.Next(s_tokens.Length)];
                    for (int i = 0; i < token.Length && at + i < bytes.Count; i++)
                    {
                        bytes[at + i] = token[i];
                    }

                    break;
            }
        }

        return bytes.Count > maxLength ? [.. bytes.GetRange(0, maxLength)] : [.. bytes];
    }
}
