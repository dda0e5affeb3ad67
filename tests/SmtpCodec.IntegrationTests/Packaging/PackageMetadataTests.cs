using System.Xml.Linq;

namespace SmtpCodec.IntegrationTests.Packaging;

/// <summary>
/// Every package in artifacts/packages (packed by tests/run.sh) carries what a consumer expects: license
/// expression MIT, its own readme, repository information, a description and tags, a symbols package, and
/// XML docs for the libraries (docs/architecture.md, "Packages").
/// </summary>
public sealed class PackageMetadataTests
{
    public static TheoryData<string> Ids => new(PackageFolder.ExpectedIds);

    [Theory]
    [MemberData(nameof(Ids))]
    public void ThePackageHasItsLicenseReadmeRepositoryAndSymbols(string id)
    {
        string nupkg = PackageFolder.Find(id);
        XElement metadata = Child(PackageFolder.ReadNuspec(nupkg, out IReadOnlyList<string> entries), "metadata");

        Assert.Equal(id, Child(metadata, "id").Value);
        XElement license = Child(metadata, "license");
        Assert.Equal("expression", license.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);

        string readme = Child(metadata, "readme").Value;
        Assert.Contains(readme, entries);
        Assert.True(PackageFolder.EntryLength(nupkg, readme) > 200, $"{id}'s readme {readme} is (nearly) empty");

        Assert.Equal("git", Child(metadata, "repository").Attribute("type")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(Child(metadata, "description").Value), $"{id} has no description");
        Assert.Contains("smtp", Child(metadata, "tags").Value.Split(' '));

        string symbols = Path.ChangeExtension(nupkg, ".snupkg");
        Assert.True(File.Exists(symbols), $"{Path.GetFileName(symbols)} is missing beside {Path.GetFileName(nupkg)}");
        PackageFolder.ReadNuspec(symbols, out IReadOnlyList<string> symbolEntries);
        Assert.Contains(symbolEntries, entry => entry.EndsWith(".pdb", StringComparison.Ordinal));

        // Libraries ship their XML docs beside each assembly; the tool is a program.
        string[] assemblies = entries.Where(e => e.StartsWith("lib/", StringComparison.Ordinal) && e.EndsWith(".dll", StringComparison.Ordinal)).ToArray();
        foreach (string assembly in assemblies)
        {
            Assert.Contains(Path.ChangeExtension(assembly, ".xml"), entries);
        }

        bool isTool = metadata.Descendants().Any(e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "DotnetTool");
        Assert.True(isTool || assemblies.Length > 0, $"{id} is neither a library (lib/*.dll) nor a dotnet tool");
    }

    [Fact]
    public void EveryPackedPackageIsExpected()
    {
        // A new packable project must join PackageFolder.ExpectedIds, so that the test above checks it.
        Assert.True(PackageFolder.All().Length > 0, $"artifacts/packages holds no package: run `{PackageFolder.PackCommand}` first (bash tests/run.sh does).");
        string[] unexpected = PackageFolder.All()
            .Select(file => PackageFolder.IdOf(file) ?? Path.GetFileName(file))
            .Where(id => !PackageFolder.ExpectedIds.Contains(id))
            .ToArray();

        Assert.True(unexpected.Length == 0, $"artifacts/packages holds packages not in PackageFolder.ExpectedIds: {string.Join(", ", unexpected)}");
    }

    private static XElement Child(XElement parent, string name) =>
        parent.Elements().FirstOrDefault(e => e.Name.LocalName == name)
        ?? throw new Xunit.Sdk.XunitException($"the nuspec has no <{name}> in <{parent.Name.LocalName}>");
}
