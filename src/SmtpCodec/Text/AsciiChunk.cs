using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace SmtpCodec.Text;

/// <summary>
/// Unaligned little-endian reads used by the generated keyword matchers, which switch on the
/// length first and so never read past the end of the input.
/// </summary>
internal static class AsciiChunk
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Read64(ref byte start, int offset)
    {
        ulong value = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Read32(ref byte start, int offset)
    {
        uint value = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ushort Read16(ref byte start, int offset)
    {
        ushort value = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, offset));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static byte Read8(ref byte start, int offset) => Unsafe.Add(ref start, offset);
}
