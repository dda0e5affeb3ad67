using System.Diagnostics;
using SmtpCodec.Fuzz.Support;

namespace SmtpCodec.Fuzz.Replay;

/// <summary>The first input that broke a target, and how it was made.</summary>
/// <param name="Target">The target's name.</param>
/// <param name="Origin">The corpus file, and the mutation number when it was a mutation.</param>
/// <param name="Input">The input itself.</param>
/// <param name="Problem">The exception's type and message.</param>
public sealed record ReplayFailure(string Target, string Origin, byte[] Input, string Problem)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Target}: {Origin}: {Problem}";
}

/// <summary>What a replay did.</summary>
/// <param name="Target">The target's name.</param>
/// <param name="Files">Corpus files run.</param>
/// <param name="Runs">Inputs run (files and mutations).</param>
/// <param name="Elapsed">How long it took.</param>
/// <param name="Failure">The first breach, or null.</param>
public sealed record ReplayResult(string Target, int Files, int Runs, TimeSpan Elapsed, ReplayFailure? Failure);

/// <summary>
/// Runs a target over corpus files and deterministic mutations of them, with no AFL: the corpus is a
/// regression suite, and the mutations keep the harness honest between fuzzing sessions.
/// </summary>
public static class Replayer
{
    /// <summary>Mutations longer than this are cut: replay stays quick.</summary>
    public const int MaxMutatedLength = 8 * 1024;

    /// <summary>The committed corpus folder of a target: <c>tools/SmtpCodec.Fuzz/corpus/NAME</c> under <paramref name="repositoryRoot"/>.</summary>
    /// <param name="repositoryRoot">The folder holding SmtpCodec.sln.</param>
    /// <param name="target">The target.</param>
    /// <returns>The folder's path.</returns>
    public static string CorpusDirectory(string repositoryRoot, IFuzzTarget target) =>
        Path.Combine(repositoryRoot, "tools", "SmtpCodec.Fuzz", "corpus", target.Name);

    /// <summary>Runs <paramref name="target"/> over <paramref name="files"/> and <paramref name="mutations"/> mutations of each.</summary>
    /// <param name="target">The target.</param>
    /// <param name="files">Input files (a target with none fails: its corpus is missing).</param>
    /// <param name="mutations">Mutations per file.</param>
    /// <param name="seed">Seeds the mutations.</param>
    /// <returns>What happened, with the first breach if any.</returns>
    public static ReplayResult Run(IFuzzTarget target, IReadOnlyList<string> files, int mutations, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(files);
        var clock = Stopwatch.StartNew();
        if (files.Count == 0)
        {
            return new ReplayResult(target.Name, 0, 0, clock.Elapsed, new ReplayFailure(target.Name, "(no corpus)", [], "no input files: the corpus folder is missing or empty"));
        }

        byte[][] inputs = [.. files.Select(File.ReadAllBytes)];
        int runs = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            string name = Path.GetFileName(files[i]);
            ReplayFailure? failure = RunOne(target, inputs[i], name);
            runs++;
            var random = new DerivedRandom(seed ^ Fnv(name));
            for (int m = 0; failure is null && m < mutations; m++)
            {
                byte[] mutated = Mutator.Mutate(inputs[i], inputs[random.Next(inputs.Length)], ref random, MaxMutatedLength);
                failure = RunOne(target, mutated, $"{name}, mutation {m} (seed {seed})");
                runs++;
            }

            if (failure is not null)
            {
                return new ReplayResult(target.Name, i + 1, runs, clock.Elapsed, failure);
            }
        }

        return new ReplayResult(target.Name, inputs.Length, runs, clock.Elapsed, null);
    }

    /// <summary>Runs one input; any exception is a breach (the codec never throws on peer input).</summary>
    /// <param name="target">The target.</param>
    /// <param name="input">The input.</param>
    /// <param name="origin">Where it came from, for the report.</param>
    /// <returns>The breach, or null.</returns>
    public static ReplayFailure? RunOne(IFuzzTarget target, byte[] input, string origin)
    {
        ArgumentNullException.ThrowIfNull(target);
        try
        {
            target.Run(input);
            return null;
        }
        catch (InvariantViolationException violation)
        {
            return new ReplayFailure(target.Name, origin, input, violation.Message);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Not a broken invariant but an exception the codec should never throw: where it came from matters.
            return new ReplayFailure(target.Name, origin, input, $"unexpected {exception}");
        }
    }

    /// <summary>The files of a folder in a stable order (so mutations line up across machines).</summary>
    /// <param name="directory">The folder.</param>
    /// <returns>Its files, by ordinal name; none when it is missing.</returns>
    public static IReadOnlyList<string> FilesIn(string directory) =>
        Directory.Exists(directory) ? [.. Directory.GetFiles(directory).Order(StringComparer.Ordinal)] : [];

    private static ulong Fnv(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
