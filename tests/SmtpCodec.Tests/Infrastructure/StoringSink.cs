using System.Text.RegularExpressions;
using SmtpCodec.Sink;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>
/// The embedded sink with its message store in a temporary directory, so that tests can see which messages it
/// accepted: one file per 250 at the end of data, none for a refused or faulted message. Deleted on dispose.
/// </summary>
internal sealed partial class StoringSink : IAsyncDisposable
{
    private StoringSink(SmtpSink sink, string directory)
    {
        Sink = sink;
        Directory = directory;
    }

    public SmtpSink Sink { get; }

    public string Directory { get; }

    public int Port => Sink.EndPoint.Port;

    public static StoringSink Start(SmtpSinkOptions? options = null)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("sink-store-").FullName;
        return new StoringSink(SmtpSink.Start((options ?? new SmtpSinkOptions()) with { StoreDirectory = directory }), directory);
    }

    /// <summary>The Message-ID of every stored message, one entry per file: a message accepted twice shows twice.</summary>
    public string[] AcceptedMessageIds() =>
        [.. System.IO.Directory.EnumerateFiles(Directory, "*.eml")
            .Select(path => MessageIdPattern().Match(File.ReadAllText(path)) is { Success: true } m ? m.Groups[1].Value : "(none)")];

    public async ValueTask DisposeAsync()
    {
        await Sink.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    [GeneratedRegex(@"^Message-ID: <([^>]+)>", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex MessageIdPattern();
}
