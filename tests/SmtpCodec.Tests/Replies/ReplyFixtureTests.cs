namespace SmtpCodec.Tests.Replies;

/// <summary>Each fixture read whole, split at every offset, one byte per segment and streamed, with one result.</summary>
public sealed class ReplyFixtureTests
{
    [Theory]
    [MemberData(nameof(ReplyFixtures.Names), MemberType = typeof(ReplyFixtures))]
    public void FixtureReadsTheSameEveryWay(string name) => ReplyReadingHarness.AssertEveryWay(ReplyFixtures.Get(name));
}
