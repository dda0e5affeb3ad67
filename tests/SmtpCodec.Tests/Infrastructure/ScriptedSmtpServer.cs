using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>
/// A server that follows a script: send these bytes, expect these lines, capture the DATA content, start
/// TLS, close. Every step is checked; a deviation fails the test with what was expected and what came.
/// Runs over any stream (an in-memory pipe) or accepts one loopback TCP connection.
/// </summary>
internal sealed class ScriptedSmtpServer
{
    private readonly List<Func<Session, Task>> _steps = [];

    public List<string> Received { get; } = [];

    public List<byte[]> Messages { get; } = [];

    public ScriptedSmtpServer Send(string text) => Step(s => s.WriteAsync(text.Replace("\n", "\r\n", StringComparison.Ordinal).Replace("\r\r\n", "\r\n", StringComparison.Ordinal)));

    public ScriptedSmtpServer SendRaw(byte[] bytes) => Step(s => s.WriteRawAsync(bytes));

    /// <summary>Expects the next line to be exactly <paramref name="line"/>.</summary>
    public ScriptedSmtpServer Expect(string line) => Step(async s =>
    {
        string got = await s.ReadLineAsync();
        if (got != line)
        {
            throw new InvalidOperationException($"expected '{line}', got '{got}'");
        }
    });

    /// <summary>Expects the next line to start with <paramref name="prefix"/>.</summary>
    public ScriptedSmtpServer ExpectPrefix(string prefix) => Step(async s =>
    {
        string got = await s.ReadLineAsync();
        if (!got.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"expected a line starting '{prefix}', got '{got}'");
        }
    });

    /// <summary>Reads the content up to the lone "." and keeps it (still stuffed, CRLF line ends).</summary>
    public ScriptedSmtpServer ExpectContent() => Step(async s =>
    {
        var content = new MemoryStream();
        while (true)
        {
            string line = await s.ReadLineAsync(record: false);
            if (line == ".")
            {
                break;
            }

            content.Write(Encoding.UTF8.GetBytes(line + "\r\n"));
        }

        Messages.Add(content.ToArray());
    });

    /// <summary>Reads the content up to CRLF "." CRLF and keeps only its length (no copies: for large messages).</summary>
    public ScriptedSmtpServer ExpectContentCountingBytes() => Step(async s => ContentLengths.Add(await s.SkipContentAsync()));

    public List<long> ContentLengths { get; } = [];

    /// <summary>Reads a "BDAT n [LAST]" line and its n raw bytes; keeps the bytes (appended to the current message).</summary>
    public ScriptedSmtpServer ExpectChunk(bool last) => Step(async s =>
    {
        string line = await s.ReadLineAsync();
        string[] words = line.Split(' ');
        if (words.Length != (last ? 3 : 2) || words[0] != "BDAT" || (last && words[2] != "LAST"))
        {
            throw new InvalidOperationException($"expected BDAT n{(last ? " LAST" : "")}, got '{line}'");
        }

        byte[] chunk = await s.ReadExactlyAsync(int.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture));
        Chunks.Add(chunk);
    });

    public List<byte[]> Chunks { get; } = [];

    /// <summary>Stops reading and writing until <paramref name="release"/> completes (a server that hangs).</summary>
    public ScriptedSmtpServer Stall(Task release) => Step(_ => release);

    /// <summary>Runs <paramref name="action"/> when the script reaches this point (say, to start a client's timer).</summary>
    public ScriptedSmtpServer Then(Action action) => Step(_ =>
    {
        action();
        return Task.CompletedTask;
    });

    /// <summary>Reads a line and sends what <paramref name="reply"/> makes of it (for exchanges that depend on the client's input).</summary>
    public ScriptedSmtpServer Respond(Func<string, string> reply) => Step(async s => await s.WriteAsync(reply(await s.ReadLineAsync())));

    public ScriptedSmtpServer StartTls() => Step(s => s.StartTlsAsync());

    public ScriptedSmtpServer Close() => Step(s => s.CloseAsync());

    /// <summary>Waits for the client to close (reads until end of stream).</summary>
    public ScriptedSmtpServer ExpectClose() => Step(async s =>
    {
        string? line = await s.TryReadLineAsync();
        if (line is not null)
        {
            throw new InvalidOperationException($"expected the client to close, got '{line}'");
        }
    });

    public Task RunAsync(Stream stream, bool implicitTls = false) => RunSessionAsync(new Session(this, stream), implicitTls);

    /// <summary>Listens on a loopback port (any free one unless given) and runs the script on the first connection.</summary>
    public (int Port, Task Completion) ListenOnce(bool implicitTls = false, int port = 0)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        return (((IPEndPoint)listener.LocalEndpoint).Port, AcceptAsync(listener, implicitTls));
    }

    private async Task AcceptAsync(TcpListener listener, bool implicitTls)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Socket socket = await listener.AcceptSocketAsync(timeout.Token);
            await RunSessionAsync(new Session(this, new NetworkStream(socket, ownsSocket: true)), implicitTls);
        }
        finally
        {
            listener.Stop();
        }
    }

    private async Task RunSessionAsync(Session session, bool implicitTls)
    {
        await using (session)
        {
            if (implicitTls)
            {
                await session.StartTlsAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            foreach (Func<Session, Task> step in _steps)
            {
                await step(session).WaitAsync(timeout.Token);
            }
        }
    }

    private ScriptedSmtpServer Step(Func<Session, Task> step)
    {
        _steps.Add(step);
        return this;
    }

    private sealed class Session(ScriptedSmtpServer server, Stream stream) : IAsyncDisposable
    {
        private readonly byte[] _buffer = new byte[65536];
        private Stream _stream = stream;
        private int _start;
        private int _end;

        public async Task WriteAsync(string text) => await WriteRawAsync(Encoding.UTF8.GetBytes(text));

        public async Task WriteRawAsync(byte[] bytes)
        {
            await _stream.WriteAsync(bytes);
            await _stream.FlushAsync();
        }

        public async Task<string> ReadLineAsync(bool record = true) =>
            await TryReadLineAsync(record) ?? throw new InvalidOperationException("the client closed the connection");

        public async Task<string?> TryReadLineAsync(bool record = true)
        {
            while (true)
            {
                int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (lf >= 0)
                {
                    int end = lf > _start && _buffer[lf - 1] == '\r' ? lf - 1 : lf;
                    string line = Encoding.UTF8.GetString(_buffer, _start, end - _start);
                    _start = lf + 1;
                    if (record)
                    {
                        server.Received.Add(line);
                    }

                    return line;
                }

                if (_start > 0)
                {
                    Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                int read;
                try
                {
                    read = await _stream.ReadAsync(_buffer.AsMemory(_end));
                }
                catch (IOException)
                {
                    read = 0;
                }

                if (read == 0)
                {
                    return null;
                }

                _end += read;
            }
        }

        public async Task<byte[]> ReadExactlyAsync(int count)
        {
            byte[] result = new byte[count];
            int filled = 0;
            while (filled < count)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await _stream.ReadAsync(_buffer.AsMemory());
                    if (_end == 0)
                    {
                        throw new InvalidOperationException("the client closed the connection in the middle of a chunk");
                    }
                }

                int n = Math.Min(count - filled, _end - _start);
                Array.Copy(_buffer, _start, result, filled, n);
                _start += n;
                filled += n;
            }

            return result;
        }

        /// <summary>Skips stuffed content through its terminator; returns its length without the final ".\r\n".</summary>
        public async Task<long> SkipContentAsync()
        {
            long length = 0;
            int matched = 2; // the DATA line's CRLF counts as the terminator's leading CRLF
            byte[] terminator = "\r\n.\r\n"u8.ToArray();
            while (true)
            {
                while (_start < _end)
                {
                    byte b = _buffer[_start++];
                    length++;
                    matched = b == terminator[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
                    if (matched == terminator.Length)
                    {
                        return length - 3;
                    }
                }

                _start = _end = 0;
                int read = await _stream.ReadAsync(_buffer.AsMemory());
                if (read == 0)
                {
                    throw new InvalidOperationException("the client closed the connection in the middle of the content");
                }

                _end = read;
            }
        }

        public async Task StartTlsAsync()
        {
            if (_start != _end)
            {
                throw new InvalidOperationException("the client sent bytes before the TLS handshake");
            }

            var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Localhost });
            _stream = ssl;
        }

        public async Task CloseAsync() => await _stream.DisposeAsync();

        public async ValueTask DisposeAsync() => await _stream.DisposeAsync();
    }
}
