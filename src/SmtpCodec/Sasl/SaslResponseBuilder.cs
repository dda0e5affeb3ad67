using System;
using System.Text;

namespace SmtpCodec.Sasl;

/// <summary>Appends the parts of a SASL response to a span and remembers whether it ran out of room.</summary>
internal ref struct SaslResponseBuilder
{
    private readonly Span<byte> _destination;
    private int _length;

    public SaslResponseBuilder(Span<byte> destination)
    {
        _destination = destination;
    }

    public readonly int Length => _length;

    public bool Overflowed { readonly get; private set; }

    public void Append(scoped ReadOnlySpan<byte> bytes)
    {
        if (Overflowed || !bytes.TryCopyTo(_destination[_length..]))
        {
            Overflowed = true;
            return;
        }

        _length += bytes.Length;
    }

    public void Append(byte value) => Append([value]);

    public void AppendUtf8(scoped ReadOnlySpan<char> text)
    {
        if (Overflowed || !Encoding.UTF8.TryGetBytes(text, _destination[_length..], out int written))
        {
            Overflowed = true;
            return;
        }

        _length += written;
    }

    /// <summary>saslname of RFC 5802 section 5.1 and RFC 7628 section 3.1: ',' becomes "=2C" and '=' becomes "=3D".</summary>
    public void AppendSaslName(string name)
    {
        ReadOnlySpan<char> rest = name;
        while (!rest.IsEmpty)
        {
            int special = rest.IndexOfAny(',', '=');
            AppendUtf8(special < 0 ? rest : rest[..special]);
            if (special < 0)
            {
                return;
            }

            Append(rest[special] == ',' ? "=2C"u8 : "=3D"u8);
            rest = rest[(special + 1)..];
        }
    }
}
