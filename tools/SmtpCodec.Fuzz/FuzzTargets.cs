using SmtpCodec.Fuzz.Targets;

namespace SmtpCodec.Fuzz;

/// <summary>Every fuzz target, by name.</summary>
public static class FuzzTargets
{
    /// <summary>The targets, in the order <c>replay all</c> runs them.</summary>
    public static IReadOnlyList<IFuzzTarget> All { get; } =
    [
        new ReplyTarget(),
        new EhloTarget(),
        new UnstuffTarget(),
        new StuffRoundTripTarget(),
        new SaslTarget(),
        new CommandTarget(),
        new SinkTarget(),
    ];

    /// <summary>Finds a target by its name.</summary>
    /// <param name="name">A name such as <c>replies</c>.</param>
    /// <returns>The target, or null.</returns>
    public static IFuzzTarget? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));
}
