using System.Globalization;
using System.Text;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>
/// Postfix's smtp-sink on 127.0.0.1 and a free port, one per test, appending every transaction to a dump
/// file (its envelope as X-Mail-Args / X-Rcpt-Args, then the unstuffed content with LF line ends).
/// </summary>
internal sealed class PostfixSmtpSinkPeer : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/smtp-sink";

    private readonly DirectoryInfo _root;
    private readonly PeerProcess _process;

    private PostfixSmtpSinkPeer(DirectoryInfo root, PeerProcess process, int port)
    {
        _root = root;
        _process = process;
        Port = port;
    }

    public int Port { get; }

    private string DumpPath => Path.Combine(_root.FullName, "dump");

    /// <summary>Starts smtp-sink with extra options (<c>-p</c> no PIPELINING, <c>-e</c> no ESMTP, <c>-Q DATA</c> ...).</summary>
    public static async Task<PostfixSmtpSinkPeer> StartAsync(params string[] options)
    {
        InteropPeers.Require(Binary, "Postfix's smtp-sink (Debian package postfix)");
        DirectoryInfo root = InteropPeers.CreateTemporaryDirectory("smtpcodec-smtp-sink-");
        var arguments = new List<string>(options) { "-D", Path.Combine(root.FullName, "dump") };
        if (Environment.IsPrivilegedProcess)
        {
            // smtp-sink refuses to run as root: it switches to this user after binding, so the dump folder is theirs.
            await InteropPeers.RunAsync("chown", "postfix", root.FullName);
            arguments.AddRange(["-u", "postfix"]);
        }

        for (int attempt = 1; ; attempt++)
        {
            int port = InteropPeers.FreeLoopbackPort();
            PeerProcess process = PeerProcess.Start(Binary, [.. arguments, $"127.0.0.1:{port}", "100"]);
            try
            {
                await InteropPeers.WaitUntilAcceptingAsync(port, process, "smtp-sink");
                return new PostfixSmtpSinkPeer(root, process, port);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                await process.DisposeAsync();   // the port was taken meanwhile: another one
            }
            catch
            {
                await process.DisposeAsync();
                InteropPeers.DeleteQuietly(root);
                throw;
            }
        }
    }

    /// <summary>Waits until the dump holds <paramref name="count"/> transactions, and returns them.</summary>
    public async Task<IReadOnlyList<DumpedTransaction>> WaitForTransactionsAsync(int count)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            List<DumpedTransaction> found = ReadDump();
            if (found.Count >= count)
            {
                return found;
            }

            if (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"smtp-sink dumped {found.Count} of {count} transactions within 60 s.\n{_process.Output}");
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        InteropPeers.DeleteQuietly(_root);
    }

    /// <summary>
    /// Parses the dump: each transaction starts with X-Client-Addr, its envelope lines follow, then a
    /// three-line Received header, then the content, then one empty line.
    /// </summary>
    private List<DumpedTransaction> ReadDump()
    {
        string text;
        try
        {
            using var stream = new FileStream(DumpPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            text = reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return [];
        }

        var transactions = new List<DumpedTransaction>();
        string[] lines = text.Split('\n');
        int i = 0;
        while (i < lines.Length && lines[i].StartsWith("X-Client-Addr: ", StringComparison.Ordinal))
        {
            string proto = "", mail = "";
            var rcpts = new List<string>();
            for (i++; i < lines.Length && !lines[i].StartsWith("Received: ", StringComparison.Ordinal); i++)
            {
                if (lines[i].StartsWith("X-Client-Proto: ", StringComparison.Ordinal))
                {
                    proto = lines[i]["X-Client-Proto: ".Length..];
                }
                else if (lines[i].StartsWith("X-Mail-Args: ", StringComparison.Ordinal))
                {
                    mail = lines[i]["X-Mail-Args: ".Length..];
                }
                else if (lines[i].StartsWith("X-Rcpt-Args: ", StringComparison.Ordinal))
                {
                    rcpts.Add(lines[i]["X-Rcpt-Args: ".Length..]);
                }
            }

            int contentStart = i + 3;
            int next = contentStart;
            while (next < lines.Length && !lines[next].StartsWith("X-Client-Addr: ", StringComparison.Ordinal))
            {
                next++;
            }

            // Content lines end with LF and one empty line closes the transaction, so before the next record
            // (or the end of the file, which then ends "\n\n") come "" and the last content line.
            bool whole = next < lines.Length || (lines.Length >= 2 && lines[^1].Length == 0 && lines[^2].Length == 0);
            if (!whole)
            {
                break;
            }

            int contentEnd = next < lines.Length ? next - 1 : lines.Length - 2;
            string content = contentStart < contentEnd ? string.Join('\n', lines[contentStart..contentEnd]) + "\n" : "";
            transactions.Add(new DumpedTransaction(proto, mail, rcpts, content));
            i = next;
        }

        return transactions;
    }
}

/// <summary>One transaction as smtp-sink dumped it.</summary>
/// <param name="Protocol">SMTP or ESMTP.</param>
/// <param name="MailArgs">The MAIL FROM arguments, e.g. <c>&lt;a@b&gt; BODY=8BITMIME</c>.</param>
/// <param name="RcptArgs">Each RCPT TO's arguments, in order.</param>
/// <param name="Content">The content after unstuffing, with LF line ends.</param>
internal sealed record DumpedTransaction(string Protocol, string MailArgs, IReadOnlyList<string> RcptArgs, string Content)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Protocol} {MailArgs} ({RcptArgs.Count} rcpt, {Content.Length} chars)");
}
