using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using SmtpCodec.Commands;
using SmtpCodec.Fuzz.Support;
using SmtpCodec.Protocol;

namespace SmtpCodec.Fuzz.Targets;

/// <summary>
/// <c>commands</c>: <see cref="SmtpCommandWriter"/> with a command, flags and up to three text arguments taken
/// from the input (text as UTF-8, or as raw UTF-16 code units so that lone surrogates and characters such as
/// U+760A occur). A write that succeeds is one line: CRLF at its end and no control byte anywhere else, within
/// its length limit, non-ASCII only under SMTPUTF8, and it parses back into the arguments given (addresses as
/// sent, xtext decoded, numbers, keywords, base64). A write that fails commits nothing and names an argument;
/// an argument holding a control character or not well-formed UTF-16 always fails. The same write into a
/// plain buffer gives the same bytes.
/// </summary>
/// <remarks>
/// Input layout: a selector (low 4 bits the command, then SMTPUTF8, UTF-16 text, LAST), flags (parameters),
/// a value (sizes, priorities, the mechanism), then up to three arguments, each a length byte and its bytes
/// (255: the rest of the input).
/// </remarks>
public sealed class CommandTarget : IFuzzTarget
{
    /// <inheritdoc/>
    public string Name => "commands";

    /// <inheritdoc/>
    public string Description => "SmtpCommandWriter with input-derived arguments: one clean line that parses back, or a clean refusal";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        var command = new FuzzedCommand(input);
        var guarded = new GuardedBufferWriter(slot: 0);
        CommandWriteResult result = command.Write(guarded);
        var plain = new ArrayBufferWriter<byte>();
        Check.Equal(result, command.Write(plain), $"{command}: the same write into a plain buffer");
        Check.Bytes(plain.WrittenSpan, guarded.WrittenSpan, $"{command}: the same bytes into a plain buffer");

        ReadOnlySpan<byte> line = guarded.WrittenSpan;
        if (!result.Succeeded)
        {
            Check.That(line.IsEmpty && result.BytesWritten == 0, $"{command}: a refused command commits nothing");
            Check.That(!string.IsNullOrEmpty(result.ArgumentName), $"{command}: {result.Error} names its argument");
            return;
        }

        Check.That(result.ArgumentName is null, $"{command}: success names no argument");
        Check.Equal(line.Length, result.BytesWritten, $"{command}: BytesWritten");
        Check.That(line.EndsWith("\r\n"u8), $"{command}: a command ends with CRLF");
        ReadOnlySpan<byte> body = line[..^2];
        Check.That(body.IndexOfAnyInRange((byte)0, (byte)0x1F) < 0 && !body.Contains((byte)0x7F), $"{command}: no CR, LF, NUL or other control byte before the final CRLF: {Check.Show(line)}");
        Check.That(command.SmtpUtf8Applies || Ascii.IsValid(body), $"{command}: non-ASCII only under SMTPUTF8");
        Check.That(line.Length <= command.LineLimit, $"{command}: {line.Length} octets within its limit of {command.LineLimit}");
        command.CheckParsesBack(body, result);
        command.CheckRefusals(result);
    }

    /// <summary>One command as the input describes it.</summary>
    private sealed class FuzzedCommand
    {
        private const int Kinds = 12;

        private readonly int _kind;
        private readonly byte _flags;
        private readonly byte _value;
        private readonly bool _smtpUtf8;
        private readonly bool _last;
        private readonly string _a;
        private readonly string _b;
        private readonly string _c;
        private readonly byte[] _rawA;

        public FuzzedCommand(ReadOnlySpan<byte> input)
        {
            byte selector = input.Length > 0 ? input[0] : (byte)0;
            _flags = input.Length > 1 ? input[1] : (byte)0;
            _value = input.Length > 2 ? input[2] : (byte)0;
            _kind = (selector & 0x0F) % Kinds;
            _smtpUtf8 = (selector & 0x10) != 0;
            bool utf16 = (selector & 0x20) != 0;
            _last = (selector & 0x40) != 0;
            ReadOnlySpan<byte> rest = input.Length > 3 ? input[3..] : [];
            _rawA = Field(ref rest);
            _a = Text(_rawA, utf16);
            _b = Text(Field(ref rest), utf16);
            _c = Text(Field(ref rest), utf16);
        }

        public bool SmtpUtf8Applies => _smtpUtf8 && _kind is 2 or 3 or 6 or 7;

        public int LineLimit => _kind switch
        {
            2 => SmtpCommandWriter.MaxCommandLineLength + SmtpCommandWriter.GetLineAllowance(MailParameters()),
            3 => SmtpCommandWriter.MaxCommandLineLength + SmtpCommandWriter.GetLineAllowance(RcptParameters()),
            10 => SmtpCommandWriter.MaxAuthResponseLineLength,
            _ => SmtpCommandWriter.MaxCommandLineLength,
        };

        private long Size => (sbyte)_value * 1_000_003L;

        private BodyType Body => ((_flags >> 1) & 3) switch { 0 => BodyType.None, 1 => BodyType.EightBitMime, 2 => BodyType.SevenBit, _ => (BodyType)200 };

        private DsnReturn Return => ((_flags >> 3) & 3) switch { 0 => DsnReturn.None, 1 => DsnReturn.Full, 2 => DsnReturn.Headers, _ => (DsnReturn)200 };

        private int MtPriority => (sbyte)_value % 12;

        private DsnNotifyFlags Notify => (DsnNotifyFlags)(_flags & 0x1F);

        private SaslMechanism Mechanism => _value == 255 ? (SaslMechanism)250 : SaslMechanismNames.All[_value % SaslMechanismNames.All.Length];

        /// <summary>The raw argument repeated: long enough, at times, to pass the 12288-octet limit of a response line.</summary>
        private byte[] Response => [.. Enumerable.Repeat(_rawA, _kind == 10 ? _value : 1).SelectMany(b => b)];

        public CommandWriteResult Write(IBufferWriter<byte> destination) => _kind switch
        {
            0 => SmtpCommandWriter.WriteEhlo(destination, _a),
            1 => SmtpCommandWriter.WriteHelo(destination, _a),
            2 => SmtpCommandWriter.WriteMailFrom(destination, _a, new MailFromParameters
            {
                Size = (_flags & 1) != 0 ? Size : null,
                Body = Body,
                SmtpUtf8 = _smtpUtf8,
                Return = Return,
                EnvelopeId = _b,
                Auth = _c,
                RequireTls = (_flags & 0x20) != 0,
                MtPriority = (_flags & 0x40) != 0 ? MtPriority : null,
            }),
            3 => SmtpCommandWriter.WriteRcptTo(destination, _a, new RcptToParameters { SmtpUtf8 = _smtpUtf8, Notify = Notify, OriginalRecipient = _b }),
            4 => SmtpCommandWriter.WriteNoop(destination, _a),
            5 => SmtpCommandWriter.WriteHelp(destination, _a),
            6 => SmtpCommandWriter.WriteVrfy(destination, _a, _smtpUtf8),
            7 => SmtpCommandWriter.WriteExpn(destination, _a, _smtpUtf8),
            8 => SmtpCommandWriter.WriteBdat(destination, Size, _last),
            9 => (_flags & 1) != 0 ? SmtpCommandWriter.WriteAuth(destination, Mechanism, _rawA) : SmtpCommandWriter.WriteAuth(destination, Mechanism),
            10 => SmtpCommandWriter.WriteAuthResponse(destination, Response),
            _ => (_value % 7) switch
            {
                0 => SmtpCommandWriter.WriteData(destination),
                1 => SmtpCommandWriter.WriteRset(destination),
                2 => SmtpCommandWriter.WriteQuit(destination),
                3 => SmtpCommandWriter.WriteStartTls(destination),
                4 => SmtpCommandWriter.WriteNoop(destination),
                5 => SmtpCommandWriter.WriteHelp(destination),
                _ => SmtpCommandWriter.WriteAuthCancel(destination),
            },
        };

        /// <summary>The line, read as a server would, holds exactly what was asked for.</summary>
        public void CheckParsesBack(ReadOnlySpan<byte> line, CommandWriteResult result)
        {
            string text = Encoding.UTF8.GetString(line);
            switch (_kind)
            {
                case 0 or 1:
                    Expect(text, $"{(_kind == 0 ? "EHLO" : "HELO")} {_a}");
                    break;
                case 2:
                    string mailPrefix = $"MAIL FROM:<{_a}>";
                    Check.That(text.StartsWith(mailPrefix, StringComparison.Ordinal), $"{this}: {Check.Show(line)} starts with {mailPrefix}");
                    CheckParameters(text[mailPrefix.Length..], ExpectedMailParameters());
                    break;
                case 3:
                    string rcptPrefix = $"RCPT TO:<{_a}>";
                    Check.That(text.StartsWith(rcptPrefix, StringComparison.Ordinal), $"{this}: {Check.Show(line)} starts with {rcptPrefix}");
                    Check.That(_a.Contains('@', StringComparison.Ordinal) || string.Equals(_a, "postmaster", StringComparison.OrdinalIgnoreCase), $"{this}: a forward path is a mailbox or Postmaster");
                    CheckParameters(text[rcptPrefix.Length..], ExpectedRcptParameters());
                    break;
                case 4 or 5:
                    Expect(text, $"{(_kind == 4 ? "NOOP" : "HELP")} {_a}");
                    break;
                case 6 or 7:
                    Expect(text, $"{(_kind == 6 ? "VRFY" : "EXPN")} {_a}{(_smtpUtf8 ? " SMTPUTF8" : "")}");
                    break;
                case 8:
                    Check.That(Size >= 0, $"{this}: a negative chunk size is refused");
                    Expect(text, $"BDAT {Size.ToString(CultureInfo.InvariantCulture)}{(_last ? " LAST" : "")}");
                    break;
                case 9:
                    CheckAuth(text, result);
                    break;
                case 10:
                    Check.Bytes(Response, Convert.FromBase64String(text), $"{this}: the response line decodes to the response");
                    break;
                default:
                    string[] bare = ["DATA", "RSET", "QUIT", "STARTTLS", "NOOP", "HELP", "*"];
                    Expect(text, bare[_value % 7]);
                    break;
            }
        }

        /// <summary>An argument the writer uses that holds a control character or is not well-formed UTF-16 cannot have been written.</summary>
        public void CheckRefusals(CommandWriteResult result)
        {
            foreach (string argument in UsedTextArguments())
            {
                bool control = argument.AsSpan().IndexOfAnyInRange('\0', '\u001F') >= 0 || argument.Contains('\u007F', StringComparison.Ordinal);
                Check.That(!control, $"{this}: an argument with a control character was written (result {result})");
                Check.That(Encoding.UTF8.GetByteCount(argument) == Utf8Length(argument), $"{this}: an argument that is not well-formed UTF-16 was written");
            }
        }

        public override string ToString() => $"kind {_kind} flags {_flags:X2} value {_value} utf8 {_smtpUtf8} a={Check.Show(Encoding.UTF8.GetBytes(_a))} b={Check.Show(Encoding.UTF8.GetBytes(_b))} c={Check.Show(Encoding.UTF8.GetBytes(_c))}";

        private static byte[] Field(ref ReadOnlySpan<byte> rest)
        {
            if (rest.IsEmpty)
            {
                return [];
            }

            // A length of 255 takes the rest of the input: long enough for every line limit.
            int length = rest[0] == 255 ? rest.Length - 1 : Math.Min(rest[0], rest.Length - 1);
            byte[] field = rest.Slice(1, length).ToArray();
            rest = rest[(1 + length)..];
            return field;
        }

        /// <summary>UTF-8 (invalid bytes as U+FFFD) or UTF-16LE code units as they come, lone surrogates included.</summary>
        private static string Text(byte[] bytes, bool utf16)
        {
            if (!utf16)
            {
                return Encoding.UTF8.GetString(bytes);
            }

            var chars = new char[bytes.Length / 2];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)(bytes[2 * i] | (bytes[(2 * i) + 1] << 8));
            }

            return new string(chars);
        }

        /// <summary>The UTF-8 length with lone surrogates counted as the writer must refuse them (-1 then).</summary>
        private static int Utf8Length(string text) =>
            System.Text.Unicode.Utf8.FromUtf16(text, new byte[text.Length * 3], out _, out int written, replaceInvalidSequences: false) == OperationStatus.Done ? written : -1;

        private IEnumerable<string> UsedTextArguments() => _kind switch
        {
            0 or 1 or 4 or 5 or 6 or 7 => [_a],
            2 => [_a, _b, _c],
            3 => [_a, _b],
            _ => [],
        };

        private EsmtpParameter[] MailParameters()
        {
            var used = new List<EsmtpParameter>();
            if ((_flags & 1) != 0)
            {
                used.Add(EsmtpParameter.Size);
            }

            if (Body != BodyType.None)
            {
                used.Add(EsmtpParameter.Body);
            }

            if (_smtpUtf8)
            {
                used.Add(EsmtpParameter.SmtpUtf8);
            }

            if (Return != DsnReturn.None)
            {
                used.Add(EsmtpParameter.Ret);
            }

            if (_b.Length > 0)
            {
                used.Add(EsmtpParameter.EnvId);
            }

            if (_c.Length > 0)
            {
                used.Add(EsmtpParameter.Auth);
            }

            if ((_flags & 0x20) != 0)
            {
                used.Add(EsmtpParameter.RequireTls);
            }

            if ((_flags & 0x40) != 0)
            {
                used.Add(EsmtpParameter.MtPriority);
            }

            return [.. used];
        }

        private EsmtpParameter[] RcptParameters() =>
            [.. Notify != DsnNotifyFlags.None ? [EsmtpParameter.Notify] : Array.Empty<EsmtpParameter>(), .. _b.Length > 0 ? [EsmtpParameter.OrCpt] : Array.Empty<EsmtpParameter>()];

        /// <summary>The MAIL parameters a server must read back, by name (RFC 1870, 6152, 6531, 3461, 4954, 8689, 6710).</summary>
        private Dictionary<string, string?> ExpectedMailParameters()
        {
            var expected = new Dictionary<string, string?>(StringComparer.Ordinal);
            if ((_flags & 1) != 0)
            {
                expected["SIZE"] = Size.ToString(CultureInfo.InvariantCulture);
            }

            if (Body != BodyType.None)
            {
                expected["BODY"] = Body switch { BodyType.EightBitMime => "8BITMIME", BodyType.SevenBit => "7BIT", _ => throw Check.Fail($"{this}: BODY={(int)Body} was written") };
            }

            if (_smtpUtf8)
            {
                expected["SMTPUTF8"] = null;
            }

            if (Return != DsnReturn.None)
            {
                expected["RET"] = Return switch { DsnReturn.Full => "FULL", DsnReturn.Headers => "HDRS", _ => throw Check.Fail($"{this}: RET={(int)Return} was written") };
            }

            if (_b.Length > 0)
            {
                expected["ENVID"] = _b;
            }

            if (_c.Length > 0)
            {
                expected["AUTH"] = _c;
            }

            if ((_flags & 0x20) != 0)
            {
                expected["REQUIRETLS"] = null;
            }

            if ((_flags & 0x40) != 0)
            {
                expected["MT-PRIORITY"] = MtPriority.ToString(CultureInfo.InvariantCulture);
            }

            return expected;
        }

        private Dictionary<string, string?> ExpectedRcptParameters()
        {
            var expected = new Dictionary<string, string?>(StringComparer.Ordinal);
            if (Notify != DsnNotifyFlags.None)
            {
                Check.That(Notify == DsnNotifyFlags.Never || (Notify & ~(DsnNotifyFlags.Success | DsnNotifyFlags.Failure | DsnNotifyFlags.Delay)) == 0, $"{this}: NOTIFY is NEVER alone or a set of SUCCESS, FAILURE, DELAY (RFC 3461 section 4.1)");
                var names = new List<string>();
                foreach ((DsnNotifyFlags flag, string name) in new[] { (DsnNotifyFlags.Never, "NEVER"), (DsnNotifyFlags.Success, "SUCCESS"), (DsnNotifyFlags.Failure, "FAILURE"), (DsnNotifyFlags.Delay, "DELAY") })
                {
                    if ((Notify & flag) != 0)
                    {
                        names.Add(name);
                    }
                }

                expected["NOTIFY"] = string.Join(',', names);
            }

            if (_b.Length > 0)
            {
                expected["ORCPT"] = "rfc822;" + _b;
            }

            return expected;
        }

        /// <summary>" NAME[=VALUE]" items; xtext values (ENVID, AUTH, ORCPT) decoded before comparing.</summary>
        private void CheckParameters(string items, Dictionary<string, string?> expected)
        {
            var actual = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (string item in items.Split(' ').Skip(1))
            {
                Check.That(item.Length > 0, $"{this}: parameters are separated by single spaces");
                int equals = item.IndexOf('=', StringComparison.Ordinal);
                string name = equals < 0 ? item : item[..equals];
                string? value = equals < 0 ? null : item[(equals + 1)..];
                if (value is not null && name is "ENVID" or "ORCPT" or "AUTH" && value != "<>")
                {
                    string prefix = name == "ORCPT" && value.StartsWith("rfc822;", StringComparison.Ordinal) ? "rfc822;" : "";
                    value = prefix + DecodeXtext(value[prefix.Length..]);
                }

                Check.That(actual.TryAdd(name, value), $"{this}: {name} appears once");
            }

            Check.That(items.Length == 0 || items[0] == ' ', $"{this}: parameters follow the path after a space");
            Check.Equal(Show(expected), Show(actual), $"{this}: the parameters read back");
        }

        private void CheckAuth(string text, CommandWriteResult result)
        {
            string name = SaslMechanismNames.GetName(Mechanism);
            bool withResponse = (_flags & 1) != 0;
            if (!withResponse || result.InitialResponseDeferred)
            {
                Expect(text, $"AUTH {name}");
                Check.That(!result.InitialResponseDeferred || 5 + name.Length + 1 + Base64.GetMaxEncodedToUtf8Length(_rawA.Length) + 2 > 512, $"{this}: an initial response is deferred only when the line would pass 512 octets");
                return;
            }

            string prefix = $"AUTH {name} ";
            Check.That(text.StartsWith(prefix, StringComparison.Ordinal), $"{this}: {text} starts with {prefix}");
            string response = text[prefix.Length..];
            Check.Bytes(_rawA, response == "=" ? [] : Convert.FromBase64String(response), $"{this}: the initial response (RFC 4954: '=' when empty)");
            Check.That(response != "=" || _rawA.Length == 0, $"{this}: '=' stands for an empty response only");
        }

        private void Expect(string actual, string expected) => Check.Equal(expected, actual, $"{this}: the line");

        private static string DecodeXtext(string xtext)
        {
            var bytes = new List<byte>();
            for (int i = 0; i < xtext.Length; i++)
            {
                char c = xtext[i];
                Check.That(c is >= '!' and <= '~' and not '=', $"xtext holds only xchars and hexchars: {xtext}");
                if (c == '+')
                {
                    Check.That(i + 2 < xtext.Length && char.IsAsciiHexDigitUpper(xtext[i + 1]) && char.IsAsciiHexDigitUpper(xtext[i + 2]), $"a hexchar is '+' and two upper-case hex digits: {xtext}");
                    bytes.Add(byte.Parse(xtext.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                    i += 2;
                }
                else
                {
                    bytes.Add((byte)c);
                }
            }

            return Encoding.ASCII.GetString([.. bytes]);
        }

        private static string Show(Dictionary<string, string?> parameters) =>
            string.Join(" ", parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value is null ? p.Key : $"{p.Key}={p.Value}"));
    }
}
