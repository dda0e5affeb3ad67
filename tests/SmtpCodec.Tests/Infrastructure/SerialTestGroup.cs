namespace SmtpCodec.Tests.Infrastructure;

/// <summary>Tests that measure the whole process (allocated bytes across threads) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTestGroup
{
    public const string Name = "Serial: process-wide measurements";
}
