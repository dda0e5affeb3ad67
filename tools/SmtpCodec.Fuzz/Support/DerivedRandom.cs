namespace SmtpCodec.Fuzz.Support;

/// <summary>
/// A small deterministic generator (SplitMix64) for choices a target derives from its input (split points,
/// destination sizes), so that the same input always runs the same way and a finding replays exactly.
/// </summary>
public struct DerivedRandom
{
    private ulong _state;

    /// <summary>Seeds the generator.</summary>
    /// <param name="seed">Any value.</param>
    public DerivedRandom(ulong seed) => _state = seed;

    /// <summary>Seeds the generator from the input's bytes (FNV-1a) and a salt naming the use.</summary>
    /// <param name="input">The fuzz input.</param>
    /// <param name="salt">Distinguishes several generators over the same input.</param>
    /// <returns>The generator.</returns>
    public static DerivedRandom From(ReadOnlySpan<byte> input, ulong salt = 0)
    {
        ulong hash = 14695981039346656037UL ^ salt;
        foreach (byte b in input)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return new DerivedRandom(hash ^ ((ulong)input.Length << 32));
    }

    /// <summary>The next 64 random bits.</summary>
    /// <returns>A value.</returns>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, <paramref name="maxExclusive"/>); 0 when the range is empty.</summary>
    /// <param name="maxExclusive">The bound.</param>
    /// <returns>A value.</returns>
    public int Next(int maxExclusive) => maxExclusive <= 0 ? 0 : (int)(Next() % (ulong)maxExclusive);

    /// <summary>A value in [<paramref name="min"/>, <paramref name="maxInclusive"/>].</summary>
    /// <param name="min">The smallest value.</param>
    /// <param name="maxInclusive">The largest value.</param>
    /// <returns>A value.</returns>
    public int Next(int min, int maxInclusive) => min + Next(maxInclusive - min + 1);

    /// <summary>A destination size: a few bytes (every byte-wise path), or around the codec's 64-byte blocks (where block and byte paths meet).</summary>
    /// <returns>1 to 16, or 48 to 200.</returns>
    public int DestinationSize() => Next(2) == 0 ? Next(1, 16) : Next(48, 200);

    /// <summary>Up to <paramref name="count"/> sorted cut points in [0, <paramref name="length"/>], ending with <paramref name="length"/>.</summary>
    /// <param name="length">The length to cut.</param>
    /// <param name="count">How many pieces at most.</param>
    /// <returns>The ends of the pieces, ascending, the last one <paramref name="length"/> (pieces may be empty).</returns>
    public int[] Cuts(int length, int count)
    {
        var cuts = new int[Math.Max(count, 1)];
        for (int i = 0; i < cuts.Length - 1; i++)
        {
            cuts[i] = Next(length + 1);
        }

        cuts[^1] = length;
        Array.Sort(cuts);
        return cuts;
    }
}
