using System.Runtime.CompilerServices;
using SmtpCodec.Commands;
using SmtpCodec.Data;
using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>
/// The one owner of pipelined replies: transactions written and not yet answered wait in a queue, in the
/// order their commands went out, and every reply is read for the first of them (RFC 2920 section 3.1).
/// <see cref="SmtpConnection"/>'s own sends and the pool's streamed DATA and BDAT all write and read through
/// here; the meaning of the replies is <see cref="SmtpTransaction"/>'s.
/// </summary>
public sealed partial class SmtpConnection
{
    // Commands written before their replies are read: bounded so that thousands of recipients cannot
    // fill both directions' TCP windows while neither side reads (RFC 2920 section 3.1).
    private const int MaxPipelinedRecipients = 100;

    private readonly Queue<SmtpTransaction> _pending = new();
    private readonly Stack<SmtpTransaction> _spareTransactions = new();
    private bool _pipelining;
    private bool _chunking;

    /// <summary>Whether commands may go out ahead of their replies: PIPELINING offered and allowed (decided after each EHLO).</summary>
    internal bool Pipelining => _pipelining;

    /// <summary>Whether content goes as BDAT by choice: CHUNKING offered and asked for (decided after each EHLO).</summary>
    internal bool StreamsChunks => _chunking;

    /// <summary>Whether LIMITS MAILMAX forbids another transaction on this connection.</summary>
    internal bool TransactionsExhausted => _capabilities.MailMax is { } max && (ulong)_transactionCount >= max;

    /// <summary>BDAT or DATA, chosen here only: BDAT when the body needs it (BINARYMIME) or the session streams chunks.</summary>
    private bool UsesChunks(BodyType body) => body == BodyType.BinaryMime || _chunking;

    /// <summary>Decides, once per EHLO (or HELO), what the session may use.</summary>
    private void DecideSessionFeatures()
    {
        _pipelining = _options.UsePipelining && _capabilities.Supports(EhloKeyword.Pipelining);
        _chunking = _options.UseChunking && _capabilities.Supports(EhloKeyword.Chunking);
    }

    /// <summary>A transaction for a plan, nothing written yet.</summary>
    private SmtpTransaction NewTransaction(in MailPlan plan)
    {
        SmtpTransaction transaction = _spareTransactions.TryPop(out SmtpTransaction? spare) ? spare : new SmtpTransaction();
        transaction.Reset(
            plan.RecipientCount,
            usesData: !UsesChunks(plan.Body),
            isBinary: plan.Body == BodyType.BinaryMime,
            allowsEightBit: plan.Body is BodyType.EightBitMime or BodyType.BinaryMime);
        return transaction;
    }

    /// <summary>The owner is done with a transaction: it leaves the queue and is kept for reuse.</summary>
    internal void Release(SmtpTransaction transaction)
    {
        if (transaction.Queued && _pending.TryPeek(out SmtpTransaction? first) && ReferenceEquals(first, transaction))
        {
            _pending.Dequeue();
        }

        if (_spareTransactions.Count < 64)
        {
            _spareTransactions.Push(transaction);
        }
    }

    /// <summary>
    /// Writes MAIL (the first time), the next <paramref name="recipients"/> RCPTs and, when asked, DATA, as one
    /// group: it reaches the pipe whole or not at all (a bad address throws before a byte is written). Not flushed.
    /// </summary>
    private void WriteCommands(SmtpTransaction transaction, in MailPlan plan, int recipients, bool data)
    {
        bool mail = !transaction.MailWritten;
        BeginCommands();
        try
        {
            if (mail)
            {
                WriteCommand(SmtpPhase.Mail, static (w, p) => SmtpCommandWriter.WriteMailFrom(w, p.From, p.Parameters()), plan);
            }

            for (int i = transaction.RecipientsWritten; i < transaction.RecipientsWritten + recipients; i++)
            {
                WriteCommand(SmtpPhase.Rcpt, static (w, r) => SmtpCommandWriter.WriteRcptTo(w, r.Address, r.Plan.RecipientParameters()), (Address: plan.RecipientAt(i), Plan: plan));
            }

            if (data)
            {
                WriteCommand(SmtpPhase.Data, static (w, _) => SmtpCommandWriter.WriteData(w), 0);
            }

            CommitCommands();
        }
        catch
        {
            AbandonCommands();
            throw;
        }

        if (!transaction.Queued)
        {
            transaction.Queued = true;
            _pending.Enqueue(transaction);
        }

        transaction.CommandsWritten(mail, recipients, data);
    }

    /// <summary>Writes MAIL and every RCPT of a plan into the staging buffer and drops them: a bad argument throws here.</summary>
    private void ValidateCommands(in MailPlan plan)
    {
        BeginCommands();
        try
        {
            WriteCommand(SmtpPhase.Mail, static (w, p) => SmtpCommandWriter.WriteMailFrom(w, p.From, p.Parameters()), plan);
            for (int i = 0; i < plan.RecipientCount; i++)
            {
                WriteCommand(SmtpPhase.Rcpt, static (w, r) => SmtpCommandWriter.WriteRcptTo(w, r.Address, r.Plan.RecipientParameters()), (Address: plan.RecipientAt(i), Plan: plan));
            }
        }
        finally
        {
            AbandonCommands();
        }
    }

    /// <summary>
    /// Reads every reply a transaction is owed (MAIL, RCPTs, DATA, end of data) except the last
    /// <paramref name="leaveEndOfData"/> end-of-data replies. It must be the first in the queue: replies come in
    /// the order the commands went out. A 421 is recorded as the transaction's closing reply and thrown.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask ReadRepliesAsync(SmtpTransaction transaction, CancellationToken cancellationToken, int leaveEndOfData = 0)
    {
        if (!_pending.TryPeek(out SmtpTransaction? first) || !ReferenceEquals(first, transaction))
        {
            throw new InvalidOperationException("Replies are read for the first transaction written and not yet answered.");
        }

        transaction.MarkTried();
        try
        {
            if (transaction.MailOwed)
            {
                transaction.RecordMail(await ReadReplyAsync(SmtpPhase.Mail, cancellationToken).ConfigureAwait(false));
            }

            while (transaction.RecipientsRead < transaction.RecipientsWritten)
            {
                transaction.RecordRecipient(await ReadReplyAsync(SmtpPhase.Rcpt, cancellationToken).ConfigureAwait(false));
            }

            if (transaction.DataOwed)
            {
                transaction.RecordData(await ReadReplyAsync(SmtpPhase.Data, cancellationToken).ConfigureAwait(false));
            }

            if (transaction.AbandonOwed)
            {
                await ReadReplyAsync(SmtpPhase.EndOfData, cancellationToken).ConfigureAwait(false);
                transaction.RecordAbandoned();
            }

            while (transaction.EndOfDataOwed > leaveEndOfData)
            {
                transaction.RecordEndOfData(await ReadReplyAsync(SmtpPhase.EndOfData, cancellationToken).ConfigureAwait(false));
            }
        }
        catch (SmtpReplyException e) when (e.Reply.IsClosing)
        {
            transaction.RecordClosing(e.Reply);
            throw;
        }
    }

    /// <summary>
    /// RSET after a refused transaction (RFC 5321 section 4.1.1.5), and before it the lone terminator that a
    /// 354 nobody will use still needs (RFC 2920 section 3.1), in one write. With no transaction, RSET alone
    /// (the pool after a failed BDAT window). A server that does not answer RSET with 250 cannot be trusted
    /// with another transaction: the connection is closed (the refusal stays the news), the same for a 421 to the RSET.
    /// </summary>
    internal async ValueTask AbandonAsync(SmtpTransaction? transaction, CancellationToken cancellationToken)
    {
        if (transaction is { UsesData: true, Progress: TransactionProgress.Open } && transaction.Data.Is(SmtpReplyCode.StartMailInput))
        {
            var stuffer = new DotStuffer(rejectLongLines: false);
            StuffBlock(ref stuffer, [], isFinalBlock: true);
            transaction.AbandonWritten();
        }

        WriteCommand(SmtpPhase.Other, static (w, _) => SmtpCommandWriter.WriteRset(w), 0);
        await FlushAsync(SmtpPhase.Other, cancellationToken).ConfigureAwait(false);
        try
        {
            // Everything else the transaction was owed is read already: only the lone terminator's reply is left.
            if (transaction is { AbandonOwed: true })
            {
                await ReadReplyAsync(SmtpPhase.EndOfData, cancellationToken).ConfigureAwait(false);
                transaction.RecordAbandoned();
            }

            transaction?.MarkEnded();
            SmtpResponse reset = await ReadReplyAsync(SmtpPhase.Other, cancellationToken).ConfigureAwait(false);
            if (!reset.Is(SmtpReplyCode.Completed))
            {
                _ = Broken(null);
            }
        }
        catch (SmtpReplyException e) when (e.Reply.IsClosing)
        {
            // A 421 to the lone terminator or to the RSET: ReadReplyAsync has closed the connection, and the
            // refusal stays the transaction's news (it is not recorded as the transaction's closing reply).
            transaction?.MarkEnded();
        }
    }

    /// <summary>
    /// MAIL, RCPT and (for DATA) DATA: with PIPELINING in groups of <see cref="MaxPipelinedRecipients"/>, DATA
    /// behind the last group; otherwise lock-step, stopping at a refused MAIL and sending DATA only when a
    /// recipient was accepted. Every reply is read into the transaction.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SmtpTransaction> OpenTransactionAsync(MailPlan plan, CancellationToken cancellationToken)
    {
        // Every command is checked before the first is written: a bad address found after MAIL went out
        // would leave a transaction open on the server and shift every later reply by one.
        ValidateCommands(plan);
        SmtpTransaction transaction = NewTransaction(plan);
        int total = plan.RecipientCount;
        int perWrite = _pipelining ? MaxPipelinedRecipients : 1;
        int first = _pipelining ? Math.Min(perWrite, total) : 0;
        try
        {
            WriteCommands(transaction, plan, first, data: _pipelining && transaction.UsesData && first == total);
            while (true)
            {
                await FlushAsync(SmtpPhase.Rcpt, cancellationToken).ConfigureAwait(false);
                await ReadRepliesAsync(transaction, cancellationToken).ConfigureAwait(false);
                int left = total - transaction.RecipientsWritten;
                if (left == 0 || (!_pipelining && !transaction.Mail.IsSuccess))
                {
                    break;
                }

                int next = Math.Min(perWrite, left);
                WriteCommands(transaction, plan, next, data: _pipelining && transaction.UsesData && next == left);
            }

            if (!_pipelining && transaction.UsesData && transaction.Accepted > 0)
            {
                WriteCommands(transaction, plan, 0, data: true);
                await FlushAsync(SmtpPhase.Data, cancellationToken).ConfigureAwait(false);
                await ReadRepliesAsync(transaction, cancellationToken).ConfigureAwait(false);
            }

            return transaction;
        }
        catch
        {
            Release(transaction);
            throw;
        }
    }
}
