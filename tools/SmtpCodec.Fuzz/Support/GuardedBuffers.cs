namespace SmtpCodec.Fuzz.Support;

/// <summary>A few <see cref="GuardedBuffer"/>s per thread, by slot, reused from one run to the next.</summary>
public static class GuardedBuffers
{
    [ThreadStatic]
    private static GuardedBuffer[]? t_slots;

    /// <summary>The buffer of slot <paramref name="slot"/>; two slots never share memory.</summary>
    /// <param name="slot">0 or more.</param>
    /// <returns>The buffer.</returns>
    public static GuardedBuffer Get(int slot)
    {
        GuardedBuffer[] slots = t_slots ??= new GuardedBuffer[8];
        if (slot >= slots.Length)
        {
            Array.Resize(ref slots, Math.Max(slot + 1, slots.Length * 2));
            t_slots = slots;
        }

        return slots[slot] ??= new GuardedBuffer();
    }
}
