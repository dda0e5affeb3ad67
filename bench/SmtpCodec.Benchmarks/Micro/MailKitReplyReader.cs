using System.Reflection;
using MailKit;

namespace SmtpCodec.Benchmarks.Micro;

/// <summary>
/// MailKit's internal <c>SmtpStream.ReadResponse</c>, reached once through reflection outside the measured
/// code and then called through a delegate, over a reusable in-memory stream.
/// </summary>
internal sealed class MailKitReplyReader : IDisposable
{
    private readonly MemoryStream _input;
    private readonly Func<CancellationToken, object> _readResponse;

    public MailKitReplyReader(byte[] bytes)
    {
        _input = new MemoryStream(bytes, writable: false);
        Type type = typeof(MailKit.Net.Smtp.SmtpClient).Assembly.GetType("MailKit.Net.Smtp.SmtpStream", throwOnError: true)!;
        object stream = Activator.CreateInstance(type, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, null, [_input, new NullProtocolLogger()], null)!;
        MethodInfo method = type.GetMethod("ReadResponse", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, [typeof(CancellationToken)])!;
        _readResponse = (Func<CancellationToken, object>)Delegate.CreateDelegate(typeof(Func<CancellationToken, object>), stream, method);
    }

    public void Dispose() => _input.Dispose();

    /// <summary>Reads the first response of the bytes.</summary>
    public MailKit.Net.Smtp.SmtpResponse ReadOne()
    {
        _input.Position = 0;
        return (MailKit.Net.Smtp.SmtpResponse)_readResponse(CancellationToken.None);
    }

    /// <summary>Reads <paramref name="count"/> responses from the start of the bytes.</summary>
    public int Read(int count)
    {
        _input.Position = 0;
        int codes = 0;
        for (int i = 0; i < count; i++)
        {
            codes += ((MailKit.Net.Smtp.SmtpResponse)_readResponse(CancellationToken.None)).StatusCode is var code ? (int)code : 0;
        }

        return codes;
    }
}
