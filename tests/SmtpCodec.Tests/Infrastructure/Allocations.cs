namespace SmtpCodec.Tests.Infrastructure;

/// <summary>
/// Deterministic allocation measurement: bytes allocated on this thread by an action run many times after
/// warming up (so JIT and first-call work are out of the count). No timings.
/// </summary>
internal static class Allocations
{
    public static long Measure(Action action, int iterations = 200)
    {
        for (int i = 0; i < 3; i++)
        {
            action();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < iterations; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
