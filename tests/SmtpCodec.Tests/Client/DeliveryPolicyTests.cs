using SmtpCodec.Client;
using static SmtpCodec.Tests.Client.ClientTestData;

namespace SmtpCodec.Tests.Client;

/// <summary>The delivery outcome as a table: a transaction's replies, or an exception and how far the message got.</summary>
public sealed class DeliveryPolicyTests
{
    public static TheoryData<int, int[], int, int, bool, string> ReplyCases => new()
    {
        // mail, recipients, data (0: BDAT), final (0: not reached), sent behind a failed transaction, verdict
        { 250, [250], 354, 250, false, nameof(DeliveryVerdict.Accepted) },
        { 250, [250, 550], 0, 250, false, nameof(DeliveryVerdict.Accepted) },
        { 550, [503], 503, 0, false, nameof(DeliveryVerdict.Rejected) },
        { 451, [503], 503, 0, false, nameof(DeliveryVerdict.SessionLimit) },        // MAIL refused for now: a limit of the session
        { 452, [503], 503, 0, false, nameof(DeliveryVerdict.SessionLimit) },        // OpenSMTPD's 452 4.5.3 after 100 messages
        { 250, [550], 354, 0, false, nameof(DeliveryVerdict.Rejected) },
        { 250, [450], 354, 0, false, nameof(DeliveryVerdict.Retry) },
        { 250, [452, 452], 354, 0, false, nameof(DeliveryVerdict.Retry) },          // too many recipients: nobody refused for good
        { 250, [250], 554, 0, false, nameof(DeliveryVerdict.Rejected) },
        { 250, [250], 354, 552, false, nameof(DeliveryVerdict.Rejected) },
        { 250, [250], 354, 451, false, nameof(DeliveryVerdict.Retry) },
        { 503, [503], 0, 503, true, nameof(DeliveryVerdict.RetryNotCounted) },      // behind a failed BDAT transaction: not its fault
        { 503, [503], 0, 503, false, nameof(DeliveryVerdict.Rejected) },
        { 550, [503], 0, 503, true, nameof(DeliveryVerdict.Rejected) },
        { 452, [503], 0, 554, true, nameof(DeliveryVerdict.SessionLimit) },         // the worker charges no attempt behind a failure
    };

    [Theory]
    [MemberData(nameof(ReplyCases))]
    public void RepliesGiveTheVerdict(int mail, int[] recipients, int data, int final, bool behindFailure, string expected) =>
        Assert.Equal(Enum.Parse<DeliveryVerdict>(expected), DeliveryPolicy.FromReplies(Transaction(mail, recipients, data, final), behindFailure));

    public static TheoryData<string, string, bool, string> ExceptionCases => new()
    {
        // exception (see Make), progress, tried, verdict
        { "bad address", nameof(SendProgress.None), true, nameof(DeliveryVerdict.Invalid) },
        { "connection lost", nameof(SendProgress.None), true, nameof(DeliveryVerdict.Retry) },
        { "connection lost", nameof(SendProgress.None), false, nameof(DeliveryVerdict.RetryNotCounted) },
        { "connection lost", nameof(SendProgress.EndOfDataWritten), true, nameof(DeliveryVerdict.OutcomeUnknown) },
        { "connection lost", nameof(SendProgress.EndOfDataWritten), false, nameof(DeliveryVerdict.OutcomeUnknown) },
        { "connection lost", nameof(SendProgress.Delivered), true, nameof(DeliveryVerdict.OutcomeUnknown) },
        { "timeout", nameof(SendProgress.EndOfDataWritten), true, nameof(DeliveryVerdict.OutcomeUnknown) },
        { "timeout", nameof(SendProgress.None), true, nameof(DeliveryVerdict.Retry) },
        { "421", nameof(SendProgress.None), true, nameof(DeliveryVerdict.Retry) },
        { "421", nameof(SendProgress.EndOfDataWritten), true, nameof(DeliveryVerdict.Retry) },            // the server answered: it does not have it
        { "421", nameof(SendProgress.EndOfDataWritten), false, nameof(DeliveryVerdict.RetryNotCounted) }, // queued behind the 421
        { "421", nameof(SendProgress.Delivered), true, nameof(DeliveryVerdict.OutcomeUnknown) },
        { "550 at MAIL", nameof(SendProgress.None), true, nameof(DeliveryVerdict.Rejected) },
        { "452 at MAIL", nameof(SendProgress.None), true, nameof(DeliveryVerdict.SessionLimit) },
        { "452 at MAIL", nameof(SendProgress.None), false, nameof(DeliveryVerdict.RetryNotCounted) },
        { "535 at AUTH", nameof(SendProgress.None), true, nameof(DeliveryVerdict.ConnectionFailed) },
        { "554 greeting", nameof(SendProgress.None), true, nameof(DeliveryVerdict.ConnectionFailed) },
        { "TLS refused", nameof(SendProgress.None), true, nameof(DeliveryVerdict.ConnectionFailed) },
        { "missing extension", nameof(SendProgress.None), true, nameof(DeliveryVerdict.Invalid) },
        { "unexpected", nameof(SendProgress.None), true, nameof(DeliveryVerdict.Retry) },
        { "unexpected", nameof(SendProgress.EndOfDataWritten), true, nameof(DeliveryVerdict.OutcomeUnknown) },
    };

    [Theory]
    [MemberData(nameof(ExceptionCases))]
    public void ExceptionsGiveTheVerdict(string exception, string progress, bool tried, string expected) =>
        Assert.Equal(Enum.Parse<DeliveryVerdict>(expected), DeliveryPolicy.FromException(Make(exception), Enum.Parse<SendProgress>(progress), tried));

    [Fact]
    public void OnlyAnUnansweredEndOfDataCountsAsProgress()
    {
        Assert.Equal(SendProgress.None, DeliveryPolicy.ProgressOf(null));
        Assert.Equal(SendProgress.None, DeliveryPolicy.ProgressOf(Transaction(250, [250], 354, 0)));
        Assert.Equal(SendProgress.EndOfDataWritten, DeliveryPolicy.ProgressOf(Transaction(250, [250], 354, -1)));
        Assert.Equal(SendProgress.None, DeliveryPolicy.ProgressOf(Transaction(250, [250], 354, 250)));
    }

    private static Exception Make(string name) => name switch
    {
        "bad address" => new ArgumentException("The address is invalid."),
        "connection lost" => new SmtpProtocolException(SmtpPhase.EndOfData, "The server closed the connection.", isTransient: true),
        "timeout" => new SmtpTimeoutException(SmtpPhase.EndOfData, TimeSpan.FromMinutes(10)),
        "421" => new SmtpReplyException(SmtpPhase.EndOfData, new SmtpResponse(421, null, "4.3.2 Shutting down"), "The message"),
        "550 at MAIL" => new SmtpReplyException(SmtpPhase.Mail, new SmtpResponse(550, null, "5.7.1 No"), "MAIL FROM"),
        "452 at MAIL" => new SmtpReplyException(SmtpPhase.Mail, new SmtpResponse(452, null, "4.5.3 Too many messages"), "MAIL FROM"),
        "535 at AUTH" => new SmtpReplyException(SmtpPhase.Auth, new SmtpResponse(535, null, "5.7.8 Bad credentials"), "AUTH PLAIN"),
        "554 greeting" => new SmtpReplyException(SmtpPhase.Greeting, new SmtpResponse(554, null, "No SMTP service"), "The greeting"),
        "TLS refused" => new SmtpException(SmtpPhase.StartTls, "The certificate is not trusted.", isTransient: false),
        "missing extension" => new SmtpException(SmtpPhase.Mail, "8-bit content needs 8BITMIME.", isTransient: false),
        "unexpected" => new InvalidOperationException("A stream threw."),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
