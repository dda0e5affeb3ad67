using System;
using System.Numerics;
using SmtpCodec.Protocol;

namespace SmtpCodec.Commands;

/// <summary>
/// The spec table's facts about ESMTP parameters laid out once for the MAIL and RCPT writers: a line's parameters
/// are a bit set in table order, each with its " NAME=" prefix, and the line allowance of a set is computed without
/// a lookup per pair (<see cref="SmtpCommandWriter.GetLineAllowance"/> defines it; the tests check every set).
/// </summary>
internal static class ParameterLayout
{
    private static readonly EsmtpParameter[] s_byBit = EsmtpParameterNames.All.ToArray();
    private static readonly int[] s_bit = CreateBits();
    private static readonly EhloKeyword[] s_extension = Map(EsmtpParameterNames.GetExtension);
    private static readonly int[] s_allowance = Map(EsmtpParameterNames.GetLineAllowance);
    private static readonly byte[][] s_prefix = Map(CreatePrefix);

    // Every set's allowance, computed once: the table has a dozen parameters, so 4,096 sets.
    private static readonly ushort[] s_allowanceBySet = CreateAllowances();

    /// <summary>The bit of <paramref name="parameter"/> in a set: its row in the table.</summary>
    public static uint Bit(EsmtpParameter parameter) => 1u << s_bit[(int)parameter];

    /// <summary>The first parameter of <paramref name="set"/> in table order, taken out of it.</summary>
    public static EsmtpParameter TakeFirst(ref uint set)
    {
        int bit = BitOperations.TrailingZeroCount(set);
        set &= set - 1;
        return s_byBit[bit];
    }

    /// <summary>" NAME" or " NAME=" as the parameter starts on the line.</summary>
    public static ReadOnlySpan<byte> Prefix(EsmtpParameter parameter) => s_prefix[(int)parameter];

    /// <summary>The octets the parameters of <paramref name="set"/> add to the line: each extension's largest allowance once.</summary>
    public static int GetLineAllowance(uint set) => s_allowanceBySet[set];

    private static ushort[] CreateAllowances()
    {
        var allowances = new ushort[1 << s_byBit.Length];
        for (uint set = 0; set < allowances.Length; set++)
        {
            allowances[set] = checked((ushort)ComputeLineAllowance(set));
        }

        return allowances;
    }

    private static int ComputeLineAllowance(uint set)
    {
        int total = 0;
        for (uint rest = set; rest != 0; rest &= rest - 1)
        {
            EsmtpParameter parameter = s_byBit[BitOperations.TrailingZeroCount(rest)];
            EhloKeyword extension = s_extension[(int)parameter];
            int allowance = s_allowance[(int)parameter];
            bool counted = false;
            for (uint others = set & ~Bit(parameter); others != 0 && !counted; others &= others - 1)
            {
                // Another parameter of the same extension with a larger allowance (or an equal one earlier) stands for both.
                EsmtpParameter other = s_byBit[BitOperations.TrailingZeroCount(others)];
                counted = s_extension[(int)other] == extension
                    && (s_allowance[(int)other] > allowance || (s_allowance[(int)other] == allowance && s_bit[(int)other] < s_bit[(int)parameter]));
            }

            if (!counted)
            {
                total += allowance;
            }
        }

        return total;
    }

    private static int[] CreateBits()
    {
        var bits = new int[MaxValue() + 1];
        for (int i = 0; i < s_byBit.Length; i++)
        {
            bits[(int)s_byBit[i]] = i;
        }

        return bits;
    }

    private static T[] Map<T>(Func<EsmtpParameter, T> fact)
    {
        var facts = new T[MaxValue() + 1];
        foreach (EsmtpParameter parameter in s_byBit)
        {
            facts[(int)parameter] = fact(parameter);
        }

        return facts;
    }

    private static byte[] CreatePrefix(EsmtpParameter parameter)
    {
        ReadOnlySpan<byte> name = EsmtpParameterNames.GetUtf8Name(parameter);
        bool hasValue = EsmtpParameterNames.GetValueSyntax(parameter) != EsmtpValueSyntax.None;
        var prefix = new byte[1 + name.Length + (hasValue ? 1 : 0)];
        prefix[0] = (byte)' ';
        name.CopyTo(prefix.AsSpan(1));
        if (hasValue)
        {
            prefix[^1] = (byte)'=';
        }

        return prefix;
    }

    private static int MaxValue()
    {
        int max = 0;
        foreach (EsmtpParameter parameter in EsmtpParameterNames.All)
        {
            max = Math.Max(max, (int)parameter);
        }

        return max;
    }
}
