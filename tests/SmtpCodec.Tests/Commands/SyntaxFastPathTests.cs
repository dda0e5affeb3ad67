using System.Text;
using CsCheck;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;

namespace SmtpCodec.Tests.Commands;

/// <summary>
/// The command writer's fast paths against their definitions: the byte sets and the class table for all 256 byte
/// values and for inputs longer than a vector, the one-pass mailbox check against a plain reading of the grammar
/// (<see cref="ReferenceMailbox"/>), the in-place and run-copying xtext against a byte loop, and the line allowance
/// of a parameter set against <see cref="SmtpCommandWriter.GetLineAllowance"/>.
/// </summary>
public sealed class SyntaxFastPathTests
{
    public static TheoryData<int> Lengths() => [0, 1, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 300];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void EverySetAgreesWithItsDefinitionForEveryByteAtEveryPosition(int length)
    {
        (System.Buffers.SearchValues<byte> Set, Func<byte, bool> Definition, byte Filler)[] sets =
        [
            (SyntaxSets.Atext, b => SyntaxSets.IsAtext(b, false), (byte)'a'),
            (SyntaxSets.AtextUtf8, b => SyntaxSets.IsAtext(b, true), (byte)'a'),
            (SyntaxSets.AtextOrDot, b => SyntaxSets.IsAtext(b, false) || b == '.', (byte)'a'),
            (SyntaxSets.AtextOrDotUtf8, b => SyntaxSets.IsAtext(b, true) || b == '.', (byte)'a'),
            (SyntaxSets.DomainBytes, b => SyntaxSets.IsLdh(b, false) || b == '.', (byte)'a'),
            (SyntaxSets.DomainBytesUtf8, b => SyntaxSets.IsLdh(b, true) || b == '.', (byte)'a'),
            (SyntaxSets.Xchar, SyntaxSets.IsXchar, (byte)'a'),
        ];
        foreach ((System.Buffers.SearchValues<byte> set, Func<byte, bool> definition, byte filler) in sets)
        {
            for (int b = 0; b < 256; b++)
            {
                Assert.Equal(definition((byte)b), set.Contains((byte)b));
                for (int position = 0; position < length; position += Math.Max(1, length / 5))
                {
                    byte[] input = Enumerable.Repeat(filler, length).ToArray();
                    input[position] = (byte)b;
                    Assert.Equal(definition((byte)b) ? -1 : position, input.AsSpan().IndexOfAnyExcept(set));
                }
            }
        }
    }

    [Fact]
    public void TheClassTableAgreesWithTheDefinitions()
    {
        for (int b = 0; b < 256; b++)
        {
            byte classes = SyntaxSets.Classes[b];
            Assert.Equal(SyntaxSets.IsAtext((byte)b, false), (classes & SyntaxSets.AtextClass) != 0);
            Assert.Equal(SyntaxSets.IsLdh((byte)b, false), (classes & SyntaxSets.LdhClass) != 0);
            Assert.Equal(b >= 0x80, (classes & SyntaxSets.NonAsciiClass) != 0);
            Assert.Equal(b >= 0x80, SyntaxSets.IsAtext((byte)b, true) && !SyntaxSets.IsAtext((byte)b, false));
        }
    }

    public static TheoryData<string> Templates() =>
    [
        "a@b.c", "first.last+tag@mail-1.example.org", "\"q d\"@example.com", "x@[192.0.2.1]", "x@[IPv6:2001:db8::1]",
        "x@[tag:content]", "a.b@c-d.e", "postmaster@localhost",
    ];

    [Theory]
    [MemberData(nameof(Templates))]
    public void TheMailboxCheckAgreesWithTheGrammarForEveryByteReplacedOrInsertedAnywhere(string template)
    {
        byte[] original = Encoding.ASCII.GetBytes(template);
        for (int position = 0; position <= original.Length; position++)
        {
            for (int b = 0; b < 256; b++)
            {
                if (position < original.Length)
                {
                    byte[] replaced = (byte[])original.Clone();
                    replaced[position] = (byte)b;
                    AssertAgrees(replaced);
                }

                AssertAgrees([.. original[..position], (byte)b, .. original[position..]]);
            }
        }
    }

    [Fact]
    public void TheMailboxCheckAgreesWithTheGrammarAtTheLengthLimits()
    {
        foreach (int local in new[] { 1, 63, 64, 65, 200 })
        {
            foreach (int label in new[] { 1, 62, 63, 64 })
            {
                foreach (int labels in new[] { 1, 2, 4 })
                {
                    string domain = string.Join('.', Enumerable.Range(0, labels).Select(i => new string((char)('a' + i), label)));
                    AssertAgrees(Encoding.ASCII.GetBytes(new string('l', local) + "@" + domain));
                    AssertAgrees(Encoding.ASCII.GetBytes(string.Join('.', Enumerable.Repeat("ab", local / 3 + 1)) + "@" + domain));
                }
            }
        }
    }

    [Fact]
    public void TheMailboxCheckAgreesWithTheGrammarOnRandomInput()
    {
        byte[] alphabet = [.. "a.@-\"[]\\: +Z9_~"u8, 0xC3, 0x7F, 0x00];
        Gen<byte> interesting = Gen.Int[0, alphabet.Length - 1].Select(i => alphabet[i]);
        Gen.Frequency((3, interesting), (1, Gen.Byte)).Array[0, 300].Sample(AssertAgrees, iter: 20_000);
    }

    [Fact]
    public void XtextAgreesWithAByteLoopForEveryByteAndEveryRoom()
    {
        Gen.Frequency((3, Gen.Byte[0x21, 0x7E]), (1, Gen.Byte)).Array[0, 120].Sample(source =>
        {
            byte[] expected = ReferenceXtext(source);
            foreach (int room in new[] { expected.Length, expected.Length - 1, expected.Length + 5, source.Length })
            {
                if (room < 0)
                {
                    continue;
                }

                var destination = new byte[room];
                int written = Xtext.Encode(source, destination);
                Assert.Equal(room >= expected.Length ? expected.Length : -1, written);
                if (written >= 0)
                {
                    Assert.Equal(expected, destination[..written]);
                }

                var buffer = new byte[Math.Max(room, source.Length)];
                source.CopyTo(buffer, 0);
                int inPlace = Xtext.EncodeInPlace(buffer, source.Length);
                Assert.Equal(buffer.Length >= expected.Length ? expected.Length : -1, inPlace);
                if (inPlace >= 0)
                {
                    Assert.Equal(expected, buffer[..inPlace]);
                }
            }
        }, iter: 5_000);
    }

    [Fact]
    public void EveryByteValueIsEncodedAsTheByteLoopDoes()
    {
        byte[] all = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        byte[] expected = ReferenceXtext(all);
        var destination = new byte[expected.Length];
        Assert.Equal(expected.Length, Xtext.Encode(all, destination));
        Assert.Equal(expected, destination);

        var buffer = new byte[expected.Length];
        all.CopyTo(buffer, 0);
        Assert.Equal(expected.Length, Xtext.EncodeInPlace(buffer, all.Length));
        Assert.Equal(expected, buffer);
    }

    [Fact]
    public void TheAllowanceOfEveryParameterSetIsTheWritersDefinition()
    {
        EsmtpParameter[] all = EsmtpParameterNames.All.ToArray();
        for (uint set = 0; set < 1u << all.Length; set++)
        {
            EsmtpParameter[] parameters = all.Where((_, i) => (set & (1u << i)) != 0).ToArray();
            uint bits = parameters.Aggregate(0u, (s, p) => s | ParameterLayout.Bit(p));
            Assert.Equal(set, bits);
            Assert.Equal(SmtpCommandWriter.GetLineAllowance(parameters), ParameterLayout.GetLineAllowance(bits));

            var order = new List<EsmtpParameter>();
            for (uint rest = bits; rest != 0;)
            {
                order.Add(ParameterLayout.TakeFirst(ref rest));
            }

            Assert.Equal(parameters, order);
        }
    }

    [Theory]
    [InlineData("a+b=c@example.org", false, null, "RCPT TO:<a+b=c@example.org> ORCPT=rfc822;a+2Bb+3Dc@example.org\r\n")]
    [InlineData("Postmaster", false, SmtpCodecError.InvalidMailbox, null)]
    [InlineData("d\u00e9j\u00e0@example.org", true, SmtpCodecError.ArgumentNotAscii, null)]
    public void AnOriginalRecipientEqualToTheForwardPathIsCheckedAsAnyOther(string path, bool smtpUtf8, SmtpCodecError? error, string? line)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        CommandWriteResult result = SmtpCommandWriter.WriteRcptTo(writer, path, new RcptToParameters { SmtpUtf8 = smtpUtf8, OriginalRecipient = path });
        Assert.Equal(error ?? SmtpCodecError.None, result.Error);
        if (error is not null)
        {
            Assert.Equal(nameof(RcptToParameters.OriginalRecipient), result.ArgumentName);
        }
        else
        {
            Assert.Equal(line, Encoding.ASCII.GetString(writer.WrittenSpan));
        }
    }

    [Theory]
    [InlineData(254, SmtpCodecError.InvalidMailbox)]
    [InlineData(300, SmtpCodecError.InvalidMailbox)]
    [InlineData(900, SmtpCodecError.InvalidParameterValue)]
    public void AnOriginalRecipientTooLongForAMailboxFailsAsBefore(int length, SmtpCodecError error)
    {
        // Up to 254 characters the value is encoded on the line; beyond, in a 768-byte scratch that 900 overflows.
        string orcpt = new string('a', length - "@example.org".Length) + "@example.org";
        CommandWriteResult result = SmtpCommandWriter.WriteRcptTo(new System.Buffers.ArrayBufferWriter<byte>(), "b@example.org", new RcptToParameters { OriginalRecipient = orcpt });
        Assert.Equal(error, result.Error);
        Assert.Equal(nameof(RcptToParameters.OriginalRecipient), result.ArgumentName);
    }

    [Fact]
    public void AnOriginalRecipientOfOnlyPlusSignsStillFitsOrIsTooLong()
    {
        // 64 '+' take 192 octets as xtext: the line has room; the in-place path spreads them from the end.
        string orcpt = new string('+', 64) + "@example.org";
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        CommandWriteResult result = SmtpCommandWriter.WriteRcptTo(writer, "b@example.org", new RcptToParameters { OriginalRecipient = orcpt });
        Assert.True(result.Succeeded);
        Assert.EndsWith(string.Concat(Enumerable.Repeat("+2B", 64)) + "@example.org\r\n", Encoding.ASCII.GetString(writer.WrittenSpan), StringComparison.Ordinal);
    }

    private static void AssertAgrees(byte[] mailbox)
    {
        foreach (bool utf8 in new[] { false, true })
        {
            Assert.True(
                ReferenceMailbox.IsMailbox(mailbox, utf8) == MailboxSyntax.IsMailbox(mailbox, utf8),
                $"{Convert.ToHexString(mailbox)} (SMTPUTF8 {utf8})");
        }
    }

    private static byte[] ReferenceXtext(byte[] source)
    {
        var encoded = new List<byte>();
        foreach (byte b in source)
        {
            if (b is >= 33 and <= 126 and not (byte)'+' and not (byte)'=')
            {
                encoded.Add(b);
            }
            else
            {
                encoded.AddRange(Encoding.ASCII.GetBytes($"+{b:X2}"));
            }
        }

        return [.. encoded];
    }
}
