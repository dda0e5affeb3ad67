using System.Text;

namespace SmtpCodec.Fuzz;

/// <summary>Invariant checks for the targets: messages are formatted only when a check fails.</summary>
public static class Check
{
    /// <summary>Fails unless <paramref name="condition"/> holds.</summary>
    /// <param name="condition">The invariant.</param>
    /// <param name="what">What it promises, in a few words.</param>
    /// <exception cref="InvariantViolationException">It does not hold.</exception>
    public static void That(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvariantViolationException(what);
        }
    }

    /// <summary>Fails unless two values are equal.</summary>
    /// <typeparam name="T">The values' type.</typeparam>
    /// <param name="expected">What one way gave.</param>
    /// <param name="actual">What the other way gave.</param>
    /// <param name="what">What is compared.</param>
    /// <exception cref="InvariantViolationException">They differ.</exception>
    public static void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            throw new InvariantViolationException($"{what}: expected {expected}, got {actual}");
        }
    }

    /// <summary>Fails unless two byte strings are equal.</summary>
    /// <param name="expected">What one way gave.</param>
    /// <param name="actual">What the other way gave.</param>
    /// <param name="what">What is compared.</param>
    /// <exception cref="InvariantViolationException">They differ.</exception>
    public static void Bytes(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string what)
    {
        if (!expected.SequenceEqual(actual))
        {
            int at = expected.CommonPrefixLength(actual);
            throw new InvariantViolationException(
                $"{what}: {expected.Length} and {actual.Length} bytes differ from offset {at}: expected {Show(expected[at..])}, got {Show(actual[at..])}");
        }
    }

    /// <summary>Fails because <paramref name="what"/> happened.</summary>
    /// <param name="what">What was wrong.</param>
    /// <returns>Never returns (so it can be thrown by callers that need an expression).</returns>
    /// <exception cref="InvariantViolationException">Always.</exception>
    public static InvariantViolationException Fail(string what) => throw new InvariantViolationException(what);

    /// <summary>Up to 40 bytes as escaped ASCII, for messages.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>Their readable form.</returns>
    public static string Show(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder("\"");
        foreach (byte b in bytes[..Math.Min(bytes.Length, 40)])
        {
            text.Append(b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\t' => "\\t",
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7F => ((char)b).ToString(),
                _ => $"\\x{b:X2}",
            });
        }

        return text.Append(bytes.Length > 40 ? "\"..." : "\"").ToString();
    }
}
