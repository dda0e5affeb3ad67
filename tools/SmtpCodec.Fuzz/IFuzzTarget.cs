namespace SmtpCodec.Fuzz;

/// <summary>
/// One fuzz target: runs a parser of the codec over an input every way it can meet it and checks the
/// codec's promises. A broken promise throws <see cref="InvariantViolationException"/>; any other exception
/// escaping <see cref="Run"/> is a finding too (the codec never throws on peer input).
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name used on the command line and as the corpus folder (<c>corpus/NAME</c>).</summary>
    string Name { get; }

    /// <summary>What the target exercises, in one line (printed by <c>list</c>).</summary>
    string Description { get; }

    /// <summary>Runs the input through the target's code and checks every invariant.</summary>
    /// <param name="input">The fuzz input.</param>
    void Run(ReadOnlySpan<byte> input);
}
