using System.Text.RegularExpressions;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Repository;

/// <summary>
/// The repository explains itself: nothing cites a document outside it, docs/architecture.md names only files
/// that exist, and no hand-written source file grows past the size a newcomer can read.
/// </summary>
public sealed partial class RepositoryConventionTests
{
    private static readonly string[] Folders = ["src", "tools", "tests", "bench"];

    [Fact]
    public void NoFileCitesADocumentOutsideTheRepository()
    {
        // Built from parts so that this file does not cite what it looks for.
        string[] outside = ["design" + ".md", "shared" + "/style", "seed" + "-article", "../" + "shared"];
        var offenders = SourceFiles(".cs", ".csproj", ".props", ".sh", ".py", ".js")
            .Where(file => outside.Any(File.ReadAllText(file).Contains))
            .Select(Relative)
            .ToArray();

        Assert.Empty(offenders);
    }

    [Fact]
    public void EveryPathTheArchitectureDocumentNamesExists()
    {
        string document = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "architecture.md"));
        var missing = RepositoryPath().Matches(document)
            .Select(m => m.Value.TrimEnd('/', '.'))
            .Distinct()
            .Where(path => !File.Exists(Path.Combine(RepositoryRoot.Path, path)) && !Directory.Exists(Path.Combine(RepositoryRoot.Path, path)))
            .ToArray();

        Assert.Empty(missing);
    }

    [Fact]
    public void EveryClientFileTheArchitectureDocumentListsExistsAndEveryClientFileIsListed()
    {
        string document = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "architecture.md"));
        string client = Path.Combine(RepositoryRoot.Path, "src", "SmtpCodec.Client");
        var unlisted = Directory.GetFiles(client, "*.cs")
            .Select(Path.GetFileName)
            .Where(name => !document.Contains($"`{name}`", StringComparison.Ordinal) && !document.Contains($"`{Path.GetFileNameWithoutExtension(name)}`", StringComparison.Ordinal))
            .ToArray();

        Assert.Empty(unlisted);
    }

    [Fact]
    public void NoHandWrittenSourceFileInSrcPassesTheSizeLimit()
    {
        const int limit = 450;
        var tooLong = Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.EndsWith(".Generated.cs", StringComparison.Ordinal) && !IsBuildOutput(file))
            .Select(file => (File: Relative(file), Lines: File.ReadAllLines(file).Length))
            .Where(entry => entry.Lines > limit)
            .Select(entry => $"{entry.File}: {entry.Lines} lines")
            .ToArray();

        Assert.Empty(tooLong);
    }

    private static IEnumerable<string> SourceFiles(params string[] extensions) =>
        Folders.SelectMany(folder => Directory.GetFiles(Path.Combine(RepositoryRoot.Path, folder), "*", SearchOption.AllDirectories))
            .Where(file => extensions.Contains(Path.GetExtension(file)) && !IsBuildOutput(file));

    private static bool IsBuildOutput(string file) =>
        file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || file.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    private static string Relative(string file) => Path.GetRelativePath(RepositoryRoot.Path, file);

    [GeneratedRegex(@"(?<![\w/.-])(?:src|tools|tests|bench|docs)/[\w./-]+")]
    private static partial Regex RepositoryPath();
}
