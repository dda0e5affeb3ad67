using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Readme;

/// <summary>The C# examples in README.md are the ones the tests compile and run, word for word.</summary>
public sealed class ReadmeStaysTrueTests
{
    [Theory]
    [InlineData("## Reading replies", "ReadmeReplyExampleTests.cs")]
    [InlineData("## Writing commands, DATA, BDAT and SASL", "ReadmeCodecExampleTests.cs")]
    [InlineData("## Quick start", "ReadmeClientExampleTests.cs")]
    [InlineData("## Bulk sending with SmtpSender", "ReadmeBulkExampleTests.cs")]
    [InlineData("## The sink", "ReadmeSinkExampleTests.cs")]
    [InlineData("## Sending a MimeMessage", "../../SmtpCodec.MimeKit.Tests/ReadmeMimeKitExampleTests.cs")]
    public void TheReadmeExampleIsTheTestedCode(string heading, string testFile)
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md"));
        int section = readme.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(section >= 0, $"README.md has no section '{heading}'");
        int start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("```\n", start, StringComparison.Ordinal);
        string[] readmeCode = Code(readme[start..end].Split('\n').Where(l => !l.StartsWith("using ", StringComparison.Ordinal)));

        string source = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "tests", "SmtpCodec.Tests", "Readme", testFile));
        int from = source.IndexOf("// --- README example starts here ---\n", StringComparison.Ordinal);
        int to = source.IndexOf("// --- README example ends here ---", StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, $"{testFile} has no README example markers");
        string[] tested = Code(source[(from + "// --- README example starts here ---\n".Length)..to].Split('\n'));

        Assert.Equal(tested, readmeCode);
    }

    /// <summary>Non-empty lines with their common indentation removed.</summary>
    private static string[] Code(IEnumerable<string> lines)
    {
        string[] kept = lines.Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToArray();
        int indent = kept.Min(l => l.Length - l.TrimStart().Length);
        return kept.Select(l => l[indent..]).ToArray();
    }
}
