using System.Text;
using SmtpCodec.Fuzz;
using SmtpCodec.Fuzz.Replay;
using SmtpCodec.Fuzz.Support;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Fuzz;

/// <summary>
/// The fuzz harnesses stay alive between fuzzing sessions: every target replays its committed corpus and
/// deterministic mutations of it (as a process, so that a memory fault caught by a guard page fails this test
/// instead of the test host), and the replay machinery reports a breach with the target and the input.
/// </summary>
public sealed class FuzzReplayTests : IDisposable
{
    private readonly List<string> _corpora = [];

    private static string FuzzAssembly => CliProcess.ToolAssembly(Path.Combine("tools", "SmtpCodec.Fuzz"), "SmtpCodec.Fuzz.dll");

    [Fact]
    public async Task EveryTargetKeepsItsInvariantsOverItsCorpusAndMutationsOfIt()
    {
        CliResult result = await CliProcess.RunAssemblyAsync(FuzzAssembly, null, null, "replay", "all", "--random", "150");

        Assert.True(result.ExitCode == 0, $"replay all failed (exit {result.ExitCode}):\n{result.StdoutText}\n{result.Stderr}");
        foreach (IFuzzTarget target in FuzzTargets.All)
        {
            Assert.Contains($"{target.Name}: ", result.StdoutText, StringComparison.Ordinal);
        }

        Assert.Equal(FuzzTargets.All.Count, result.StdoutText.Split('\n').Count(line => line.Contains("every invariant held", StringComparison.Ordinal)));
    }

    [Fact]
    public void EveryTargetHasASeedCorpus()
    {
        foreach (IFuzzTarget target in FuzzTargets.All)
        {
            Assert.True(Replayer.FilesIn(Replayer.CorpusDirectory(RepositoryRoot.Path, target)).Count >= 5, $"{target.Name} needs a seed corpus");
        }
    }

    [Fact]
    public void SeedsKeepTheirWireLineEndsThroughGit()
    {
        // .gitattributes marks the corpus binary: a checkout that turned CRLF into LF would fuzz other inputs.
        byte[] seed = File.ReadAllBytes(Path.Combine(Replayer.CorpusDirectory(RepositoryRoot.Path, FuzzTargets.Find("replies")!), "icloud-ehlo"));

        Assert.StartsWith("250-smtp.mail.me.com\r\n250-PIPELINING\r\n", Encoding.ASCII.GetString(seed), StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayReportsTheFirstBrokenInvariantWithTheTargetAndTheInput()
    {
        string corpus = CorpusOf(("clean", "250 ok\r\n"), ("smuggled", "x\r\n\n.\r\nRCPT TO:<v@example.org>\r\n"));

        ReplayResult result = Replayer.Run(new RefusesBareLineFeeds(), Replayer.FilesIn(corpus), mutations: 0, seed: 1);

        ReplayFailure failure = Assert.IsType<ReplayFailure>(result.Failure);
        Assert.Equal("no-bare-lf", failure.Target);
        Assert.Equal("smuggled", failure.Origin);
        Assert.Equal("x\r\n\n.\r\nRCPT TO:<v@example.org>\r\n"u8.ToArray(), failure.Input);
        Assert.Equal("a bare LF at 3", failure.Problem);
        Assert.Equal(2, result.Runs);
    }

    [Fact]
    public void MutationsFindWhatTheCorpusAloneDoesNot()
    {
        string corpus = CorpusOf(("clean", "250-first line\r\n250 last line\r\n"));
        var target = new RefusesBareLineFeeds();

        Assert.Null(Replayer.Run(target, Replayer.FilesIn(corpus), mutations: 0, seed: 1).Failure);
        ReplayFailure failure = Assert.IsType<ReplayFailure>(Replayer.Run(target, Replayer.FilesIn(corpus), mutations: 500, seed: 1).Failure);

        Assert.StartsWith("clean, mutation ", failure.Origin, StringComparison.Ordinal);
        Assert.Null(Replayer.RunOne(target, "250 ok\r\n"u8.ToArray(), "again"));
        Assert.NotNull(Replayer.RunOne(target, failure.Input, "again"));
    }

    [Fact]
    public void AnExceptionOtherThanABrokenInvariantIsReportedWithItsType()
    {
        ReplayFailure? failure = Replayer.RunOne(new ThrowsOnEmptyInput(), [], "empty");

        Assert.NotNull(failure);
        Assert.StartsWith("unexpected System.IndexOutOfRangeException", failure.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ATargetWithoutCorpusFails()
    {
        ReplayResult result = Replayer.Run(new RefusesBareLineFeeds(), Replayer.FilesIn(Path.Combine(Path.GetTempPath(), "no-such-corpus-" + Guid.NewGuid())), 10, 1);

        Assert.Contains("corpus", Assert.IsType<ReplayFailure>(result.Failure).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameSeedGivesTheSameMutationsAndAnotherSeedOthers()
    {
        byte[] input = "250-smtp.mail.me.com\r\n250 SMTPUTF8\r\n"u8.ToArray();

        Assert.Equal(Mutations(input, 42), Mutations(input, 42));
        Assert.NotEqual(Mutations(input, 42), Mutations(input, 43));
    }

    [Fact]
    public async Task ReplayOfAFileRunsThatFileAndAnUnknownTargetIsAUsageError()
    {
        string corpus = CorpusOf(("one", "250 2.1.0 Ok\r\n"));

        CliResult file = await CliProcess.RunAssemblyAsync(FuzzAssembly, null, null, "replay", "replies", Path.Combine(corpus, "one"));
        CliResult unknown = await CliProcess.RunAssemblyAsync(FuzzAssembly, null, null, "replay", "no-such-target");

        Assert.Equal(0, file.ExitCode);
        Assert.Contains("replies: 1 files, 1 inputs, every invariant held", file.StdoutText, StringComparison.Ordinal);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("targets: replies, ehlo, unstuff, stuff-roundtrip, sasl, commands", unknown.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (string directory in _corpora)
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string[] Mutations(byte[] input, ulong seed)
    {
        var random = new DerivedRandom(seed);
        return [.. Enumerable.Range(0, 50).Select(_ => Convert.ToHexString(Mutator.Mutate(input, input, ref random, 1024)))];
    }

    private string CorpusOf(params (string Name, string Content)[] files)
    {
        string directory = Path.Combine(Path.GetTempPath(), "smtpcodec-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        _corpora.Add(directory);
        foreach ((string name, string content) in files)
        {
            File.WriteAllBytes(Path.Combine(directory, name), Encoding.Latin1.GetBytes(content));
        }

        return directory;
    }

    /// <summary>A stand-in target with one invariant: no LF without a CR before it.</summary>
    private sealed class RefusesBareLineFeeds : IFuzzTarget
    {
        public string Name => "no-bare-lf";

        public string Description => "fails on a bare LF";

        public void Run(ReadOnlySpan<byte> input)
        {
            for (int i = 0; i < input.Length; i++)
            {
                Check.That(input[i] != (byte)'\n' || (i > 0 && input[i - 1] == (byte)'\r'), $"a bare LF at {i}");
            }
        }
    }

    private sealed class ThrowsOnEmptyInput : IFuzzTarget
    {
        public string Name => "throws";

        public string Description => "reads a byte that is not there";

        public void Run(ReadOnlySpan<byte> input) => _ = input[0];
    }
}
