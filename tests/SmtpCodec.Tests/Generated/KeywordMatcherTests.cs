using System.Text;
using CsCheck;
using SmtpCodec.Protocol;

namespace SmtpCodec.Tests.Generated;

/// <summary>
/// The generated case-insensitive matchers: every word of every table matches in any letter case;
/// a byte changed, a byte missing or a byte added never makes a word match unless the result is
/// itself another word of the same table.
/// </summary>
public sealed class KeywordMatcherTests
{
    private delegate bool Matcher<T>(ReadOnlySpan<byte> text, out T value);

    [Fact]
    public void CommandVerbs() => Check<SmtpCommand>(SmtpCommandVerbs.TryParse, SmtpCommandVerbs.All, SmtpCommandVerbs.GetName, v => SmtpCommandVerbs.GetUtf8Name(v).ToArray());

    [Fact]
    public void EhloKeywordsIncludingDigitsAndDashes() => Check<EhloKeyword>(EhloKeywords.TryParse, EhloKeywords.All, EhloKeywords.GetName, v => EhloKeywords.GetUtf8Name(v).ToArray());

    [Fact]
    public void SaslMechanisms() => Check<SaslMechanism>(SaslMechanismNames.TryParse, SaslMechanismNames.All, SaslMechanismNames.GetName, v => SaslMechanismNames.GetUtf8Name(v).ToArray());

    [Fact]
    public void EsmtpParameters() => Check<EsmtpParameter>(EsmtpParameterNames.TryParse, EsmtpParameterNames.All, EsmtpParameterNames.GetName, v => EsmtpParameterNames.GetUtf8Name(v).ToArray());

    [Fact]
    public void BodyTypes() => Check<BodyType>(BodyTypeNames.TryParse, BodyTypeNames.All, BodyTypeNames.GetName, v => BodyTypeNames.GetUtf8Name(v).ToArray());

    [Fact]
    public void DsnReturnValues() => Check<DsnReturn>(DsnReturnNames.TryParse, DsnReturnNames.All, DsnReturnNames.GetName, v => DsnReturnNames.GetUtf8Name(v).ToArray());

    [Fact]
    public void DsnNotifyValues() => Check<DsnNotify>(DsnNotifyNames.TryParse, DsnNotifyNames.All, DsnNotifyNames.GetName, v => DsnNotifyNames.GetUtf8Name(v).ToArray());

    [Fact]
    public void ADigitIsNotMatchedThroughCaseFolding()
    {
        // '8' is 0x38; 0x18 | 0x20 == 0x38, so folding a digit position would wrongly match this.
        Assert.True(EhloKeywords.TryParse("8bitmime"u8, out EhloKeyword keyword));
        Assert.Equal(EhloKeyword.EightBitMime, keyword);
        Assert.False(EhloKeywords.TryParse("\u0018BITMIME"u8, out _));
        Assert.False(EhloKeywords.TryParse("MT\rPRIORITY"u8, out _));
        Assert.False(SaslMechanismNames.TryParse("CRAM\rMD5"u8, out _));
    }

    [Fact]
    public void EmptyInputMatchesNothing()
    {
        Assert.False(SmtpCommandVerbs.TryParse([], out SmtpCommand command));
        Assert.Equal(SmtpCommand.None, command);
        Assert.False(EhloKeywords.TryParse([], out _));
    }

    private static void Check<T>(Matcher<T> match, ReadOnlySpan<T> all, Func<T, string> name, Func<T, byte[]> utf8Name)
        where T : struct, Enum
    {
        Assert.False(all.IsEmpty);
        var names = new Dictionary<string, T>(StringComparer.OrdinalIgnoreCase);
        foreach (T value in all)
        {
            names.Add(name(value), value);
        }

        var random = new Random(5321);
        foreach ((string wire, T value) in names)
        {
            Assert.Equal(Encoding.ASCII.GetBytes(wire), utf8Name(value));
            foreach (string variant in CaseVariants(wire, random))
            {
                Assert.True(match(Encoding.ASCII.GetBytes(variant), out T matched), $"'{variant}' should match {value}");
                Assert.Equal(value, matched);
            }

            byte[] bytes = Encoding.ASCII.GetBytes(wire);
            foreach (byte[] near in NearMisses(bytes))
            {
                AssertMatchesOnlyAnExactWord(match, names, near);
            }
        }

        Gen.Byte.Array[0, 24].Sample(bytes => AssertMatchesOnlyAnExactWord(match, names, bytes), iter: 20_000);
        Gen.Select(Gen.OneOf(names.Keys.ToArray()), Gen.Int[0, 64], Gen.Byte)
            .Sample((word, position, replacement) =>
            {
                byte[] bytes = Encoding.ASCII.GetBytes(word);
                bytes[position % bytes.Length] = replacement;
                AssertMatchesOnlyAnExactWord(match, names, bytes);
            }, iter: 20_000);
    }

    private static void AssertMatchesOnlyAnExactWord<T>(Matcher<T> match, Dictionary<string, T> names, byte[] input)
        where T : struct, Enum
    {
        bool matched = match(input, out T value);
        string text = Encoding.Latin1.GetString(input);
        bool isWord = input.All(b => b < 0x80) && names.ContainsKey(text);
        Assert.True(matched == isWord, $"'{Escape(input)}' matched={matched} but is a word={isWord}");
        if (matched)
        {
            Assert.Equal(names[text], value);
        }
        else
        {
            Assert.Equal(default, value);
        }
    }

    private static IEnumerable<string> CaseVariants(string wire, Random random)
    {
        yield return wire;
        yield return wire.ToLowerInvariant();
        yield return wire.ToUpperInvariant();
        yield return new string(wire.Select((c, i) => i % 2 == 0 ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray());
        for (int n = 0; n < 16; n++)
        {
            yield return new string(wire.Select(c => random.Next(2) == 0 ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray());
        }
    }

    private static IEnumerable<byte[]> NearMisses(byte[] word)
    {
        for (int i = 0; i < word.Length; i++)
        {
            foreach (byte replacement in new[] { (byte)(word[i] + 1), (byte)(word[i] - 1), (byte)(word[i] ^ 0x20), (byte)(word[i] ^ 0x01), (byte)(word[i] | 0x80), (byte)0, (byte)' ' })
            {
                byte[] copy = (byte[])word.Clone();
                copy[i] = replacement;
                yield return copy;
            }
        }

        yield return word[..^1];
        yield return word[1..];
        foreach (byte extra in "A-0 \r\0"u8.ToArray())
        {
            yield return [.. word, extra];
            yield return [extra, .. word];
        }
    }

    private static string Escape(byte[] bytes) =>
        string.Concat(bytes.Select(b => b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}"));
}
