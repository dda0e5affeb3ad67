namespace SmtpCodec.Generator;

/// <summary>
/// Entry point. From the repository root: no arguments regenerates (writing only files whose text
/// changed); <c>--check</c> writes nothing and exits 1 naming each stale or missing file.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        bool check = args.Length == 1 && args[0] == "--check";
        if (args.Length > 1 || (args.Length == 1 && !check))
        {
            Console.Error.WriteLine("usage: dotnet run --project tools/SmtpCodec.Generator -c Release [-- --check]");
            return 2;
        }

        return Run(Directory.GetCurrentDirectory(), check, Console.Out, Console.Error);
    }

    /// <summary>Regenerates (or, with <paramref name="check"/>, checks) the files under <paramref name="root"/>.</summary>
    /// <returns>0 when everything is current or was written; 1 on stale files or a bad table.</returns>
    public static int Run(string root, bool check, TextWriter output, TextWriter error)
    {
        IReadOnlyList<GeneratedFile> files;
        try
        {
            files = SpecGenerator.Generate(root);
        }
        catch (SpecException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }

        int stale = 0;
        foreach (GeneratedFile file in files)
        {
            string path = Path.Combine(root, file.RelativePath);
            string? current = File.Exists(path) ? File.ReadAllText(path) : null;
            if (current == file.Text)
            {
                continue;
            }

            if (check)
            {
                error.WriteLine($"stale: {file.RelativePath}{(current is null ? " (missing)" : "")}");
                stale++;
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, file.Text);
                output.WriteLine($"wrote {file.RelativePath}");
            }
        }

        foreach (string orphan in OrphanedFiles(root, files))
        {
            if (check)
            {
                error.WriteLine($"stale: {orphan} (no table generates it)");
                stale++;
            }
            else
            {
                File.Delete(Path.Combine(root, orphan));
                output.WriteLine($"deleted {orphan}");
            }
        }

        if (check)
        {
            output.WriteLine(stale == 0
                ? $"{files.Count} generated files are current"
                : $"{stale} generated file(s) are stale: run dotnet run --project tools/SmtpCodec.Generator -c Release");
        }

        return stale == 0 ? 0 : 1;
    }

    /// <summary>Generated files on disk that no table produces any more.</summary>
    public static IEnumerable<string> OrphanedFiles(string root, IReadOnlyList<GeneratedFile> files)
    {
        string directory = Path.Combine(root, SpecGenerator.OutputDirectory);
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        var expected = new HashSet<string>(files.Select(f => f.RelativePath), StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFiles(directory, "*.Generated.cs").Order(StringComparer.Ordinal))
        {
            string relative = $"{SpecGenerator.OutputDirectory}/{Path.GetFileName(path)}";
            if (!expected.Contains(relative))
            {
                yield return relative;
            }
        }
    }
}
