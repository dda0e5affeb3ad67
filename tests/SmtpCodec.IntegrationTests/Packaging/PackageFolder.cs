using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Packaging;

/// <summary>
/// The packages <c>tests/run.sh</c> packs into <c>artifacts/packages</c> after its build and before the tests
/// (docs/architecture.md, "Packages"). A test that needs them fails, naming the command, when they are missing.
/// </summary>
internal static partial class PackageFolder
{
    /// <summary>Every package the repository ships: each packable project's id. A new package goes here.</summary>
    public static readonly string[] ExpectedIds = ["SmtpCodec", "SmtpCodec.Client", "SmtpCodec.Sink", "SmtpCodec.MimeKit", "SmtpCodec.Extensions.Hosting", "SmtpCodec.Tool"];

    public const string PackCommand = "dotnet pack SmtpCodec.sln -c Release -o artifacts/packages";

    public static string Path { get; } = System.IO.Path.Combine(RepositoryRoot.Path, "artifacts", "packages");

    /// <summary>The one .nupkg of <paramref name="id"/>; fails the test, naming the command, when there is none.</summary>
    public static string Find(string id)
    {
        string[] found = Directory.Exists(Path)
            ? Directory.GetFiles(Path, "*.nupkg").Where(file => IdOf(file) == id).ToArray()
            : [];
        Assert.True(found.Length > 0,
            $"artifacts/packages has no {id} package: run `{PackCommand}` first (bash tests/run.sh packs after its build, before the tests).");
        Assert.True(found.Length == 1, $"artifacts/packages has more than one {id} package: {string.Join(", ", found.Select(System.IO.Path.GetFileName))}; delete the folder and pack again.");
        return found[0];
    }

    /// <summary>Every .nupkg in the folder (none when it does not exist).</summary>
    public static string[] All() => Directory.Exists(Path) ? Directory.GetFiles(Path, "*.nupkg") : [];

    /// <summary>The package id in a file name such as SmtpCodec.Client.1.0.0.nupkg or SmtpCodec.1.0.0-ci.5.nupkg.</summary>
    public static string? IdOf(string file)
    {
        Match match = FileName().Match(System.IO.Path.GetFileName(file));
        return match.Success ? match.Groups["id"].Value : null;
    }

    /// <summary>The version in the file name.</summary>
    public static string VersionOf(string file) => FileName().Match(System.IO.Path.GetFileName(file)).Groups["version"].Value;

    /// <summary>The package's .nuspec, read from the .nupkg (a zip).</summary>
    public static XElement ReadNuspec(string nupkg, out IReadOnlyList<string> entries)
    {
        using ZipArchive zip = ZipFile.OpenRead(nupkg);
        entries = zip.Entries.Select(e => e.FullName).ToArray();
        ZipArchiveEntry nuspec = zip.Entries.Single(e => !e.FullName.Contains('/', StringComparison.Ordinal) && e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        return XDocument.Load(stream).Root!;
    }

    /// <summary>The length of one entry of the package (0 when it is absent).</summary>
    public static long EntryLength(string package, string entry)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        return zip.GetEntry(entry)?.Length ?? 0;
    }

    [GeneratedRegex(@"^(?<id>[A-Za-z][\w.]*?)\.(?<version>\d+\.\d+\.\d+(?:-[\w.-]+)?)\.nupkg$")]
    private static partial Regex FileName();
}
