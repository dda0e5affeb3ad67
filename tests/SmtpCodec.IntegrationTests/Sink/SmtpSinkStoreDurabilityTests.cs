using System.Text;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>The store's durability: exclusive temporary files that never follow a link, file and directory synced around the rename.</summary>
public sealed class SmtpSinkStoreDurabilityTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sink-durable-").FullName;

    private string Store => Path.Combine(_directory, "store");

    [Fact]
    public async Task ALinkPlantedAtTheTemporaryPathIsRemovedNeverWrittenThrough()
    {
        Directory.CreateDirectory(Store);
        string victim = Path.Combine(_directory, "victim");
        await File.WriteAllTextAsync(victim, "keep me");
        File.CreateSymbolicLink(Path.Combine(Store, ".incoming-1.tmp"), victim);
        File.CreateSymbolicLink(Path.Combine(Store, ".incoming-1.tmp.envelope"), victim);
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { StoreDirectory = Store });

        using (var client = await RawSmtpClient.ConnectAsync(sink.EndPoint))
        {
            string[] replies = await client.SendAsync("EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nhello\r\n.\r\n", 5);
            Assert.StartsWith("250 2.0.0 Ok: queued as ", replies[4], StringComparison.Ordinal);
        }

        await sink.DisposeAsync();
        Assert.Equal("keep me", await File.ReadAllTextAsync(victim));
        string[] stored = Directory.GetFiles(Store, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal([".eml", ".envelope"], stored.Select(Path.GetExtension).Order(StringComparer.Ordinal));
        Assert.Equal("hello\r\n", await File.ReadAllTextAsync(stored.Single(f => f.EndsWith(".eml", StringComparison.Ordinal))));
    }

    [Fact]
    public void ACommitSyncsTheFileBeforeTheRenameAndTheDirectoryAfterIt()
    {
        Directory.CreateDirectory(Store);
        string eml = Path.Combine(Store, "1.eml");
        string envelope = Path.Combine(Store, "1.envelope");
        var sync = new RecordingSync(() => File.Exists(eml), () => File.Exists(envelope));
        using var file = new MessageFile(Store, Path.Combine(Store, ".incoming-1.tmp"), sync);

        file.RecordMail("FROM:<a@b.c>"u8);
        file.RecordRecipient("TO:<d@e.f>"u8);
        file.Write("content\r\n"u8);
        Assert.True(file.Commit("1"));

        // The data is on disk before the name says the message is there, the envelope is complete under its name
        // before the message appears, and the name is on disk before the 250.
        Assert.Equal(
            ["file synced, .eml absent, .envelope absent", "file synced, .eml absent, .envelope absent", "directory synced, .eml present, .envelope present"],
            sync.Events);
        Assert.Equal("content\r\n", File.ReadAllText(eml));
        Assert.Equal("MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\n", File.ReadAllText(envelope));
    }

    [Fact]
    public void AMessageWhoseDirectoryCannotBeSyncedIsRefusedAndLeavesNoCopy()
    {
        Directory.CreateDirectory(Store);
        var sync = new RecordingSync(() => true, () => true, failDirectory: true);
        using var file = new MessageFile(Store, Path.Combine(Store, ".incoming-1.tmp"), sync);

        file.Write("content\r\n"u8);

        Assert.False(file.Commit("1"));
        Assert.Empty(Directory.GetFiles(Store));
    }

    [Fact]
    public void TheRealDirectorySyncWorksAndReportsADirectoryItCannotOpen()
    {
        StoreSync.Default.Directory(_directory);

        IOException error = Assert.Throws<IOException>(() => StoreSync.Default.Directory(Path.Combine(_directory, "missing")));
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed class RecordingSync(Func<bool> emlExists, Func<bool> envelopeExists, bool failDirectory = false) : StoreSync
    {
        public List<string> Events { get; } = [];

        public override void File(FileStream file)
        {
            base.File(file);
            Events.Add($"file synced, {State()}");
        }

        public override void Directory(string path)
        {
            if (failDirectory)
            {
                throw new IOException("injected: the directory cannot be synced");
            }

            base.Directory(path);
            Events.Add($"directory synced, {State()}");
        }

        private string State() => $".eml {(emlExists() ? "present" : "absent")}, .envelope {(envelopeExists() ? "present" : "absent")}";
    }
}
