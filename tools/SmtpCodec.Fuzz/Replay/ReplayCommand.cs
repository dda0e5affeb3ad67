using System.Globalization;

namespace SmtpCodec.Fuzz.Replay;

/// <summary><c>replay TARGET|all [--random N] [--seed S] [FILE|DIR ...]</c>: the corpus as a regression suite, no AFL needed.</summary>
public static class ReplayCommand
{
    /// <summary>Where a failing input is saved, under the repository root (ignored by git).</summary>
    public const string FailuresDirectory = "artifacts/fuzz/replay-failures";

    /// <summary>Runs the command.</summary>
    /// <param name="args">The arguments after <c>replay</c>.</param>
    /// <returns>0 when every input kept every invariant, 1 on a breach, 2 on a usage error.</returns>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        int mutations = 0;
        ulong seed = 1;
        var paths = new List<string>();
        string? which = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--random" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out mutations):
                case "--seed" when i + 1 < args.Length && ulong.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out seed):
                    i++;
                    break;
                case var option when option.StartsWith("--", StringComparison.Ordinal):
                    Console.Error.WriteLine($"replay: {option} needs a number (--random N, --seed S)");
                    return 2;
                default:
                    if (which is null)
                    {
                        which = args[i];
                    }
                    else
                    {
                        paths.Add(args[i]);
                    }

                    break;
            }
        }

        IFuzzTarget[] targets = which == "all" ? [.. FuzzTargets.All] : FuzzTargets.Find(which ?? "") is { } one ? [one] : [];
        if (targets.Length == 0)
        {
            Console.Error.WriteLine($"replay: name a target or all (targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))})");
            return 2;
        }

        string root = FindRepositoryRoot();
        foreach (IFuzzTarget target in targets)
        {
            IReadOnlyList<string> files = paths.Count > 0
                ? [.. paths.SelectMany(p => Directory.Exists(p) ? Replayer.FilesIn(p).Where(IsInput) : [p])]
                : Replayer.FilesIn(Replayer.CorpusDirectory(root, target));
            ReplayResult result = Replayer.Run(target, files, mutations, seed);
            if (result.Failure is { } failure)
            {
                string saved = Save(root, failure);
                Console.WriteLine($"{target.Name}: FAILED on {failure.Origin}");
                Console.WriteLine($"  {failure.Problem}");
                Console.WriteLine($"  input ({failure.Input.Length} bytes) saved to {saved}");
                Console.WriteLine($"  reproduce: dotnet run --project tools/SmtpCodec.Fuzz -c Release -- replay {target.Name} {saved}");
                return 1;
            }

            Console.WriteLine($"{target.Name}: {result.Files} files, {result.Runs} inputs, every invariant held ({result.Elapsed.TotalSeconds:0.0} s)");
        }

        return 0;
    }

    /// <summary>The folder holding SmtpCodec.sln, from the current folder or the program's.</summary>
    /// <returns>Its path.</returns>
    public static string FindRepositoryRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SmtpCodec.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("SmtpCodec.sln was not found above the current folder or the program's: run from the repository.");
    }

    /// <summary>afl-fuzz leaves a README.txt beside its crashes: not an input.</summary>
    private static bool IsInput(string path) => !string.Equals(Path.GetFileName(path), "README.txt", StringComparison.Ordinal);

    private static string Save(string root, ReplayFailure failure)
    {
        string directory = Path.Combine(root, FailuresDirectory);
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"{failure.Target}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(failure.Input))[..16]}");
        File.WriteAllBytes(path, failure.Input);
        return Path.GetRelativePath(root, path);
    }
}
