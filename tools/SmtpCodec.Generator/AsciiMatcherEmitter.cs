using System.Globalization;
using System.Text;

namespace SmtpCodec.Generator;

/// <summary>
/// Emits a case-insensitive matcher over ASCII keywords: a switch on the input length, then for each
/// keyword of that length a few unaligned integer reads compared with the keyword's lower-case bytes
/// after OR-ing 0x20 into letter positions only (so a digit or '-' must match exactly).
/// </summary>
internal static class AsciiMatcherEmitter
{
    public static void Emit(
        CodeBuilder code,
        string methodName,
        string valueType,
        IReadOnlyList<(string Keyword, string Value)> entries,
        string summary)
    {
        foreach ((string keyword, _) in entries)
        {
            if (keyword.Length == 0 || keyword.Any(c => c <= ' ' || c >= 0x7F))
            {
                throw new SpecException($"keyword '{keyword}' must be printable ASCII without spaces");
            }
        }

        code.Summary(summary);
        code.Line("/// <param name=\"text\">The candidate keyword, without surrounding spaces.</param>");
        code.Line("/// <param name=\"value\">The matched value, or the default when nothing matches.</param>");
        code.Line("/// <returns><see langword=\"true\"/> when <paramref name=\"text\"/> is exactly one of the keywords, in any letter case.</returns>");
        code.Open($"public static bool {methodName}(ReadOnlySpan<byte> text, out {valueType} value)");
        code.Line("ref byte start = ref MemoryMarshal.GetReference(text);");
        code.Open("switch (text.Length)");
        foreach (IGrouping<int, (string Keyword, string Value)> group in entries.GroupBy(e => e.Keyword.Length).OrderBy(g => g.Key))
        {
            int length = group.Key;
            List<(int Offset, int Width)> chunks = Chunks(length);
            code.Line($"case {length}:");
            code.Open("");
            for (int i = 0; i < chunks.Count; i++)
            {
                (int offset, int width) = chunks[i];
                code.Line($"{TypeOf(width)} w{i} = AsciiChunk.Read{width * 8}(ref start, {offset});");
            }

            foreach ((string keyword, string value) in group)
            {
                var condition = new StringBuilder();
                for (int i = 0; i < chunks.Count; i++)
                {
                    (int offset, int width) = chunks[i];
                    (ulong mask, ulong expected) = MaskAndValue(keyword, offset, width);
                    if (i > 0)
                    {
                        condition.Append(" && ");
                    }

                    condition.Append(mask == 0
                        ? $"w{i} == {Hex(expected, width)}"
                        : $"(w{i} | {Hex(mask, width)}) == {Hex(expected, width)}");
                }

                code.Open($"if ({condition})");
                code.Line($"value = {value};");
                code.Line("return true;");
                code.Close();
            }

            code.Line("break;");
            code.Close();
        }

        code.Close();
        code.Line("value = default;");
        code.Line("return false;");
        code.Close();
    }

    /// <summary>The reads that cover a keyword: the widest that fit, the last one overlapping back.</summary>
    internal static List<(int Offset, int Width)> Chunks(int length)
    {
        var chunks = new List<(int, int)>();
        if (length >= 8)
        {
            int offset = 0;
            for (; offset + 8 <= length; offset += 8)
            {
                chunks.Add((offset, 8));
            }

            if (offset < length)
            {
                chunks.Add((length - 8, 8));
            }
        }
        else if (length >= 4)
        {
            chunks.Add((0, 4));
            if (length > 4)
            {
                chunks.Add((length - 4, 4));
            }
        }
        else if (length >= 2)
        {
            chunks.Add((0, 2));
            if (length == 3)
            {
                chunks.Add((2, 1));
            }
        }
        else
        {
            chunks.Add((0, 1));
        }

        return chunks;
    }

    private static (ulong Mask, ulong Value) MaskAndValue(string keyword, int offset, int width)
    {
        ulong mask = 0;
        ulong value = 0;
        for (int i = 0; i < width; i++)
        {
            char c = keyword[offset + i];
            bool letter = c is >= 'A' and <= 'Z' or >= 'a' and <= 'z';
            ulong b = letter ? (ulong)char.ToLowerInvariant(c) : c;
            value |= b << (8 * i);
            if (letter)
            {
                mask |= 0x20UL << (8 * i);
            }
        }

        return (mask, value);
    }

    private static string TypeOf(int width) => width switch
    {
        8 => "ulong",
        4 => "uint",
        2 => "ushort",
        _ => "byte",
    };

    private static string Hex(ulong value, int width) => width switch
    {
        8 => "0x" + value.ToString("X16", CultureInfo.InvariantCulture) + "UL",
        4 => "0x" + value.ToString("X8", CultureInfo.InvariantCulture) + "u",
        2 => "0x" + value.ToString("X4", CultureInfo.InvariantCulture),
        _ => "0x" + value.ToString("X2", CultureInfo.InvariantCulture),
    };
}
