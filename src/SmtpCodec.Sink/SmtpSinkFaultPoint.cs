using SmtpCodec.Protocol;

namespace SmtpCodec.Sink;

/// <summary>
/// Where an injected fault strikes: the reply to a command (the commands are the generated
/// <see cref="SmtpCommand"/> vocabulary), the reply to the end of a message, or any of them.
/// </summary>
public readonly record struct SmtpSinkFaultPoint
{
    private SmtpSinkFaultPoint(SmtpCommand command, bool endOfData)
    {
        Command = command;
        IsEndOfData = endOfData;
    }

    /// <summary>Every command and every end of data (<c>*</c> on the command line); a fault named for a point itself takes precedence.</summary>
    public static SmtpSinkFaultPoint Any => default;

    /// <summary>
    /// The end of a message (<c>EOD</c>): the terminator of DATA, or BDAT LAST. A message faulted here is not received.
    /// (<see cref="SmtpCommand.Data"/> is DATA's 354; <see cref="SmtpCommand.Bdat"/> a chunk that is not the last.)
    /// </summary>
    public static SmtpSinkFaultPoint EndOfData { get; } = new(SmtpCommand.None, endOfData: true);

    /// <summary>The command whose reply the fault replaces; <see cref="SmtpCommand.None"/> for <see cref="Any"/> and <see cref="EndOfData"/>.</summary>
    public SmtpCommand Command { get; }

    /// <summary>Whether this is <see cref="EndOfData"/>.</summary>
    public bool IsEndOfData { get; }

    /// <summary>Whether this is <see cref="Any"/>.</summary>
    public bool IsAny => !IsEndOfData && Command == SmtpCommand.None;

    /// <summary>The reply to one command (for AUTH, the command itself, not the lines answering its challenges).</summary>
    /// <param name="command">A command the sink answers (not an obsolete one, which it refuses with 502 whatever the faults).</param>
    /// <returns>The point.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="command"/> is None, unknown or obsolete.</exception>
    public static SmtpSinkFaultPoint For(SmtpCommand command)
    {
        if (!IsPoint(command))
        {
            throw new ArgumentOutOfRangeException(nameof(command), command, "A fault point names a current command: use Any or EndOfData for the others.");
        }

        return new SmtpSinkFaultPoint(command, endOfData: false);
    }

    /// <summary>Whether a fault may name <paramref name="command"/>: a current command of the generated vocabulary.</summary>
    /// <param name="command">A command.</param>
    /// <returns>True when <see cref="For"/> takes it.</returns>
    public static bool IsPoint(SmtpCommand command) =>
        command != SmtpCommand.None && Enum.IsDefined(command) && !SmtpCommandVerbs.IsObsolete(command);

    /// <summary>The command-line form: <c>*</c>, <c>EOD</c> or the verb.</summary>
    /// <returns>The point as a spec writes it.</returns>
    public override string ToString() => IsAny ? "*" : IsEndOfData ? "EOD" : SmtpCommandVerbs.GetName(Command);
}
