using SmtpCodec.Client;
using static SmtpCodec.Tests.Client.ClientTestData;

namespace SmtpCodec.Tests.Client;

/// <summary>What a transaction's replies mean, decided in one place for every send path.</summary>
public sealed class SmtpTransactionTests
{
    public static TheoryData<int, int[], int, int, bool, bool, int, SmtpPhase> Cases => new()
    {
        // mail, recipients, data (0: BDAT), final (0: no content, -1: unanswered), open, delivered, first failure, its phase
        { 250, [250], 354, 250, true, true, 250, SmtpPhase.EndOfData },
        { 250, [250, 251], 0, 250, true, true, 250, SmtpPhase.EndOfData },
        { 550, [503], 503, 0, false, false, 550, SmtpPhase.Mail },          // MAIL's refusal decides, not the 503s behind it
        { 451, [503, 503], 503, 0, false, false, 451, SmtpPhase.Mail },
        { 250, [550, 553], 554, 0, false, false, 553, SmtpPhase.Rcpt },     // nobody accepted: the last RCPT refusal
        { 250, [250], 554, 0, false, false, 554, SmtpPhase.Data },
        { 250, [250, 550], 354, 552, true, false, 552, SmtpPhase.EndOfData },
        { 250, [250], 354, -1, true, false, 0, SmtpPhase.EndOfData },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RepliesDecideOpenDeliveredAndTheFirstFailure(int mail, int[] recipients, int data, int final, bool open, bool delivered, int failure, SmtpPhase phase)
    {
        SmtpTransaction transaction = Transaction(mail, recipients, data, final);

        Assert.Equal(open, transaction.IsOpen);
        Assert.Equal(delivered, transaction.Delivered);
        Assert.Equal(failure, transaction.FirstFailure.Code);
        Assert.Equal(phase, transaction.FailurePhase);
    }

    [Fact]
    public void A452IsADeferralOnlyWhenTheOthersGotTheMessage()
    {
        SmtpTransaction delivered = Transaction(250, [250, 452, 550], 354, 250);
        Assert.False(delivered.IsDeferred(0));
        Assert.True(delivered.IsDeferred(1));
        Assert.False(delivered.IsDeferred(2));

        SmtpTransaction refused = Transaction(250, [250, 452], 354, 554);
        Assert.False(refused.IsDeferred(1));

        SmtpTransaction allDeferred = Transaction(250, [452, 452], 354, 0);
        Assert.True(allDeferred.TooManyRecipients);
        Assert.False(allDeferred.IsDeferred(0));
    }

    [Fact]
    public void EachRecipientGetsTheEndOfDataReplyOrItsOwnRefusal()
    {
        SmtpTransaction transaction = Transaction(250, [250, 550], 354, 250);
        Assert.Equal(new SmtpRecipientResult("a@test", Reply(250), Delivered: true), transaction.ResultFor(0, "a@test"));
        Assert.Equal(new SmtpRecipientResult("b@test", Reply(550), Delivered: false), transaction.ResultFor(1, "b@test"));

        // Refused before the content: MAIL's or DATA's refusal is every recipient's, a RCPT's only its own.
        SmtpTransaction mailRefused = Transaction(550, [503], 503, 0);
        Assert.Equal(Reply(550), mailRefused.ResultFor(0, "a@test").Reply);
        SmtpTransaction dataRefused = Transaction(250, [250], 554, 0);
        Assert.Equal(Reply(554), dataRefused.ResultFor(0, "a@test").Reply);
    }

    [Fact]
    public void TheServerMayHoldTheMessageExactlyWhileItsEndOfDataIsUnanswered()
    {
        Assert.Equal(TransactionProgress.Open, Transaction(250, [250], 354, 0).Progress);
        Assert.Equal(TransactionProgress.EndOfDataWritten, Transaction(250, [250], 354, -1).Progress);
        Assert.Equal(TransactionProgress.Ended, Transaction(250, [250], 354, 250).Progress);
        Assert.Equal(TransactionProgress.Ended, Transaction(250, [250], 354, 451).Progress);
    }

    [Fact]
    public void WithSeveralChunksTheFirstRefusalIsTheFinalReplyAndTheEndComesWithTheLastReply()
    {
        SmtpTransaction transaction = Transaction(250, [250], 0, 0);
        transaction.ContentWritten(last: false);
        transaction.ContentWritten(last: false);
        transaction.ContentWritten(last: true);
        transaction.RecordEndOfData(Reply(250));
        transaction.RecordEndOfData(Reply(452));
        Assert.Equal(TransactionProgress.EndOfDataWritten, transaction.Progress);
        transaction.RecordEndOfData(Reply(250));

        Assert.Equal(452, transaction.Final.Code);
        Assert.False(transaction.Delivered);
        Assert.Equal(TransactionProgress.Ended, transaction.Progress);
    }
}
