using System.Buffers;
using System.Text;
using CsCheck;
using SmtpCodec.Replies;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Replies;

/// <summary>Random valid replies round-trip; random bytes never make the reader misbehave.</summary>
public sealed class ReplyPropertyTests
{
    private static readonly Gen<byte> s_textByte = Gen.Frequency(
        (8, Gen.Byte[0x20, 0x7E]),
        (1, Gen.Const((byte)'\t')),
        (2, Gen.Byte[0x80, 0xFF]));

    /// <summary>One reply: its wire bytes and its expected canonical form (see ReplyReadingHarness.Canonical).</summary>
    private static readonly Gen<(string Canonical, byte[] Wire)> s_reply =
        Gen.Select(Gen.Int[2, 5], Gen.Int[0, 5], Gen.Int[0, 9], Gen.Int[1, 5])
            .SelectMany(t => Gen.Select(Gen.Bool, Gen.Int[0, 999], Gen.Int[0, 999], s_textByte.Array[0, 30], Gen.Bool, Gen.Bool).Array[t.Item4]
                .Select(lines => Build(t.Item1 * 100 + t.Item2 * 10 + t.Item3, lines)));

    [Fact]
    public void RandomValidRepliesWrittenOutAreReadBackEqualEveryWay()
    {
        Gen.Select(s_reply.Array[1, 6], Gen.Int[0, 1000], Gen.Int[1, 7])
            .Sample((replies, splitSeed, pieces) =>
            {
                byte[] wire = replies.SelectMany(r => r.Wire).ToArray();
                string[] expected = replies.Select(r => r.Canonical).ToArray();
                int[] boundaries = Boundaries(wire.Length, splitSeed, pieces);

                Assert.Equal(expected, ReplyReadingHarness.ReadSpan(wire, null).Replies);
                Assert.Equal(expected, ReplyReadingHarness.ReadStreamed(wire, boundaries, null).Replies);
                Assert.Equal(expected, ReplyReadingHarness.ReadSequence(SegmentsAt(wire, boundaries), null).Replies);
            }, iter: 3000);
    }

    [Fact]
    public void RandomBytesNeverThrowNorReadPastTheInputAndEveryWayAgrees()
    {
        Gen<byte> biased = Gen.Frequency(
            (4, Gen.Byte),
            (3, Gen.OneOf<byte>((byte)'2', (byte)'5', (byte)'0', (byte)'4', (byte)'3')),
            (2, Gen.OneOf<byte>((byte)'-', (byte)' ', (byte)'\r', (byte)'\n')));
        var options = new SmtpReplyReaderOptions { MaxLineLength = 24, MaxReplyLength = 60, MaxLines = 4 };
        Gen.Select(biased.Array[0, 80], Gen.Int[0, 1000], Gen.Int[1, 5], Gen.Bool)
            .Sample((input, splitSeed, pieces, strict) =>
            {
                SmtpReplyReaderOptions chosen = strict ? new SmtpReplyReaderOptions { RequireCrLf = true } : options;
                var reader = new SmtpReplyReader(input, isFinalBlock: true, new SmtpReplyReaderState(chosen));
                long total = 0;
                OperationStatus status;
                while ((status = reader.Read(out SmtpReply reply)) == OperationStatus.Done)
                {
                    total += reply.RawSpan.Length;
                    Assert.True(reply.RawSpan.Length > 0);
                }

                Assert.Equal(total, reader.BytesConsumed);
                Assert.InRange(reader.BytesConsumed, 0, input.Length);
                if (status == OperationStatus.InvalidData)
                {
                    Assert.InRange(reader.ErrorOffset, reader.BytesConsumed, input.Length);
                }
                else
                {
                    Assert.Equal(input.Length, reader.BytesConsumed);
                }

                ReadOutcome whole = ReplyReadingHarness.ReadSpan(input, chosen);
                int[] boundaries = Boundaries(input.Length, splitSeed, pieces);
                Assert.True(whole.SameAs(ReplyReadingHarness.ReadStreamed(input, boundaries, chosen)));
                Assert.True(whole.SameAs(ReplyReadingHarness.ReadSequence(SegmentsAt(input, boundaries), chosen)));
            }, iter: 20_000);
    }

    [Fact]
    public void LongRepliesAcrossVectorBlocksReadTheSameWholeAsByteByByte()
    {
        // Lines of 0-150 text bytes put line ends on and around every 16-, 32- and 64-byte block boundary,
        // where the whole-reply fast path works; one byte streamed at a time takes the state machine alone.
        Gen<byte[]> text = Gen.Frequency((12, Gen.Byte[0x20, 0x7E]), (1, Gen.Byte[0x80, 0xFF])).Array[0, 150];
        Gen<(string Canonical, byte[] Wire)> longReply =
            Gen.Select(Gen.Int[2, 5], Gen.Int[0, 5], Gen.Int[0, 9], Gen.Int[1, 12])
                .SelectMany(t => Gen.Select(Gen.Bool, Gen.Int[0, 999], Gen.Int[0, 999], text, Gen.Bool, Gen.Bool).Array[t.Item4]
                    .Select(lines => Build(t.Item1 * 100 + t.Item2 * 10 + t.Item3, lines)));
        Gen<byte> damage = Gen.OneOf<byte>((byte)'\r', (byte)'\n', (byte)'-', (byte)' ', (byte)'\t', 0, 0x7F, (byte)'2', (byte)'9', (byte)'x');
        Gen<SmtpReplyReaderOptions?> options = Gen.OneOf(
            Gen.Const((SmtpReplyReaderOptions?)SmtpReplyReaderOptions.Default),
            Gen.Const((SmtpReplyReaderOptions?)new SmtpReplyReaderOptions { RequireCrLf = true }),
            Gen.Select(Gen.Int[5, 200], Gen.Int[0, 800], Gen.Int[1, 12]).Select(o =>
                (SmtpReplyReaderOptions?)new SmtpReplyReaderOptions { MaxLineLength = o.Item1, MaxReplyLength = o.Item1 + o.Item2, MaxLines = o.Item3 }));
        Gen.Select(longReply.Array[1, 4], Gen.Int[0, 2], Gen.Int[0, 100_000], damage, options)
            .Sample((replies, damages, where, with, chosen) =>
            {
                byte[] wire = replies.SelectMany(r => r.Wire).ToArray();
                for (int i = 0; i < damages; i++)
                {
                    wire[(where * (i + 7)) % wire.Length] = with;
                }

                ReadOutcome whole = ReplyReadingHarness.ReadSpan(wire, chosen);
                ReadOutcome byteByByte = ReplyReadingHarness.ReadStreamed(wire, Enumerable.Range(1, wire.Length).ToArray(), chosen);
                Assert.True(whole.SameAs(byteByByte), $"whole {whole}\nbyte by byte {byteByByte}");
                if (damages == 0 && chosen == SmtpReplyReaderOptions.Default)
                {
                    Assert.Equal(replies.Select(r => r.Canonical), whole.Replies);
                }
            }, iter: 3000);
    }

    private static (string Canonical, byte[] Wire) Build(int code, (bool Enhanced, int Subject, int Detail, byte[] Text, bool BareLf, bool BareCode)[] lines)
    {
        var wire = new List<byte>();
        var texts = new List<string>();
        string? enhanced = null;
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            bool last = i == lines.Length - 1;
            byte[] body = line.Text.Length > 0 && char.IsAsciiDigit((char)line.Text[0]) ? [(byte)'x', .. line.Text] : line.Text;
            byte[] text = line.Enhanced && code / 100 != 3
                ? [.. Encoding.ASCII.GetBytes($"{code / 100}.{line.Subject}.{line.Detail} "), .. body]
                : body;
            if (i == 0 && line.Enhanced && code / 100 != 3)
            {
                enhanced = $"{code / 100}.{line.Subject}.{line.Detail}";
            }

            wire.AddRange(Encoding.ASCII.GetBytes(code.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (last && text.Length == 0 && line.BareCode)
            {
                // A code alone is a whole last line.
            }
            else
            {
                wire.Add(last ? (byte)' ' : (byte)'-');
                wire.AddRange(text);
            }

            wire.AddRange(line.BareLf ? "\n"u8.ToArray() : "\r\n"u8.ToArray());
            texts.Add(Encoding.Latin1.GetString(text));
        }

        return ($"{code}|{enhanced ?? "-"}|{string.Join("\u0001", texts)}", wire.ToArray());
    }

    private static int[] Boundaries(int length, int seed, int pieces)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, pieces - 1).Select(_ => random.Next(length + 1)).Append(length).Order().ToArray();
    }

    private static ReadOnlySequence<byte> SegmentsAt(byte[] input, int[] boundaries)
    {
        var parts = new List<byte[]>();
        int start = 0;
        foreach (int end in boundaries)
        {
            parts.Add(input[start..end]);
            start = end;
        }

        return Segments.Of(parts.ToArray());
    }
}
