using System.Diagnostics;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sink;

/// <summary>
/// The options' faults resolved once at start into a table indexed by command (and one slot for the end of
/// data), so that a session's per-command check is an array read and at most one random draw.
/// </summary>
internal sealed class FaultPlan
{
    /// <summary>The slot of the end of data: after every command value.</summary>
    public static readonly int EndOfDataSlot = MaxCommandValue() + 1;

    private readonly Slot[] _slots;

    private FaultPlan(Slot[] slots, bool hasDelays)
    {
        _slots = slots;
        HasDelays = hasDelays;
    }

    /// <summary>Whether some point delays its replies (the session then stages replies to release them on time).</summary>
    public bool HasDelays { get; }

    /// <summary>Resolves the faults, or returns null when there are none.</summary>
    /// <exception cref="ArgumentException">A point and kind are given twice, or a point's reply faults add up to more than 1.</exception>
    public static FaultPlan? Create(IReadOnlyList<SmtpSinkFault> faults)
    {
        if (faults.Count == 0)
        {
            return null;
        }

        // Per slot and kind: the value for the point itself, else the one for Any.
        const int kinds = (int)SmtpSinkFaultKind.Delay + 1;
        var specific = new SmtpSinkFault?[EndOfDataSlot + 1, kinds];
        var any = new SmtpSinkFault?[kinds];
        foreach (SmtpSinkFault fault in faults)
        {
            ArgumentNullException.ThrowIfNull(fault, nameof(faults));
            ref SmtpSinkFault? place = ref fault.Point.IsAny
                ? ref any[(int)fault.Kind]
                : ref specific[SlotOf(fault.Point), (int)fault.Kind];
            if (place is not null)
            {
                throw new ArgumentException($"The fault {place} and {fault} strike the same point with the same kind; give one.", nameof(faults));
            }

            place = fault;
        }

        var slots = new Slot[EndOfDataSlot + 1];
        bool hasDelays = false;
        for (int slot = 1; slot < slots.Length; slot++)
        {
            double Probability(SmtpSinkFaultKind kind) => (specific[slot, (int)kind] ?? any[(int)kind])?.Probability ?? 0;

            double drop = Probability(SmtpSinkFaultKind.Drop);
            double shutDown = drop + Probability(SmtpSinkFaultKind.ShutDown);
            double permanent = shutDown + Probability(SmtpSinkFaultKind.PermanentReply);
            double transient = permanent + Probability(SmtpSinkFaultKind.TransientReply);
            if (transient > 1 + 1e-9)
            {
                string name = slot == EndOfDataSlot ? "EOD" : SmtpCommandVerbs.GetName((SmtpCommand)slot);
                throw new ArgumentException($"The reply faults for {name} add up to a probability of {transient:0.###}, more than 1.", nameof(faults));
            }

            TimeSpan delay = (specific[slot, (int)SmtpSinkFaultKind.Delay] ?? any[(int)SmtpSinkFaultKind.Delay])?.Delay ?? TimeSpan.Zero;
            long delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
            hasDelays |= delayTicks > 0;
            slots[slot] = new Slot(drop, shutDown, permanent, transient, delayTicks);
        }

        return new FaultPlan(slots, hasDelays);
    }

    /// <summary>The slot of a command: its <see cref="SmtpCommand"/> value.</summary>
    public static int SlotOf(SmtpCommand command) => (int)command;

    /// <summary>How long replies at the slot are held back, in <see cref="Stopwatch"/> ticks.</summary>
    public long GetDelayTicks(int slot) => _slots[slot].DelayTicks;

    /// <summary>Draws whether a reply fault strikes the slot's reply, and which.</summary>
    public bool TryDraw(int slot, Random random, out SmtpSinkFaultKind kind)
    {
        ref readonly Slot entry = ref _slots[slot];
        kind = SmtpSinkFaultKind.Delay;
        if (entry.Transient <= 0)
        {
            return false;
        }

        double draw = random.NextDouble();
        if (draw >= entry.Transient)
        {
            return false;
        }

        kind = draw < entry.Drop ? SmtpSinkFaultKind.Drop
            : draw < entry.ShutDown ? SmtpSinkFaultKind.ShutDown
            : draw < entry.Permanent ? SmtpSinkFaultKind.PermanentReply
            : SmtpSinkFaultKind.TransientReply;
        return true;
    }

    private static int SlotOf(SmtpSinkFaultPoint point) => point.IsEndOfData ? EndOfDataSlot : (int)point.Command;

    private static int MaxCommandValue()
    {
        int max = 0;
        foreach (SmtpCommand command in SmtpCommandVerbs.All)
        {
            max = Math.Max(max, (int)command);
        }

        return max;
    }

    /// <summary>Cumulative upper bounds of one draw in [0, 1): drop, then 421, then 5xx, then 4xx.</summary>
    private readonly record struct Slot(double Drop, double ShutDown, double Permanent, double Transient, long DelayTicks);
}
