using SmtpCodec.Protocol;

namespace SmtpCodec.Sink;

/// <summary>Injected faults (<see cref="SmtpSinkOptions.Faults"/>): one table read and at most one draw per reply.</summary>
internal sealed partial class SinkSession
{
    private readonly FaultPlan? _faults;
    private readonly Random? _random;

    /// <summary>
    /// Applies the faults planned for the reply about to be written at <paramref name="slot"/>: a delay holds it
    /// (and the replies after it) back; a reply fault replaces it.
    /// </summary>
    /// <returns>True when a fault replaced the reply: the command must have no effect.</returns>
    private bool InjectFault(int slot)
    {
        FaultPlan plan = _faults!;
        long delay = plan.GetDelayTicks(slot);
        if (delay > 0)
        {
            // The replies before this one keep their time; this one leaves the delay after its command arrived,
            // and those after it wait for it. Not cumulative: like the WAN delay, pipelined replies leave together.
            if (delay > _faultDelayTicks)
            {
                EndBatch();
                _faultDelayTicks = delay;
            }

            _sink.CountFault(SmtpSinkFaultKind.Delay);
        }

        if (!plan.TryDraw(slot, _random!, out SmtpSinkFaultKind kind))
        {
            return false;
        }

        _sink.CountFault(kind);
        switch (kind)
        {
            case SmtpSinkFaultKind.TransientReply:
                // RFC 4954 section 6 and RFC 3207 section 4 name 454 4.7.0 for AUTH and STARTTLS.
                Write(slot == FaultPlan.SlotOf(SmtpCommand.Auth) || slot == FaultPlan.SlotOf(SmtpCommand.StartTls)
                    ? "454 4.7.0 Injected fault: temporary failure, try again later\r\n"u8
                    : "451 4.3.0 Injected fault: try again later\r\n"u8);
                break;

            case SmtpSinkFaultKind.PermanentReply:
                // RFC 5321 section 4.3.2: 550 is a reply MAIL and RCPT may get, 554 one DATA and its end may get.
                Write(slot == FaultPlan.SlotOf(SmtpCommand.Mail) || slot == FaultPlan.SlotOf(SmtpCommand.Rcpt)
                    ? "550 5.7.1 Injected fault: refused\r\n"u8
                    : "554 5.3.0 Injected fault: rejected\r\n"u8);
                break;

            case SmtpSinkFaultKind.ShutDown:
                Write("421 4.3.2 Injected fault: service shutting down, closing connection\r\n"u8);
                _mode = Mode.Closing;
                break;

            default:
                // Drop: the replies before this one still leave; then the connection closes.
                _mode = Mode.Closing;
                break;
        }

        return true;
    }
}
