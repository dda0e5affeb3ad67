using System.Globalization;
using System.Text.RegularExpressions;
using SmtpCodec.Generator;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Generated;

/// <summary>The generator as a program, run against a private copy of the spec tables.</summary>
public sealed class GeneratorProgramTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "smtpcodec-gen-" + Guid.NewGuid().ToString("N"));

    public GeneratorProgramTests()
    {
        string spec = Path.Combine(_root, SpecGenerator.SpecDirectory);
        Directory.CreateDirectory(spec);
        foreach (string table in Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, SpecGenerator.SpecDirectory), "*.tsv"))
        {
            File.Copy(table, Path.Combine(spec, Path.GetFileName(table)));
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void CheckOnAnEmptyOutputFolderFailsNamingEveryMissingFile()
    {
        var (code, _, error) = Run(check: true);

        Assert.Equal(1, code);
        Assert.Contains("stale: src/SmtpCodec/Generated/SmtpCommand.Generated.cs (missing)", error, StringComparison.Ordinal);
        Assert.Contains("stale: src/SmtpCodec/Generated/EnhancedStatusCodeRegistry.Generated.cs (missing)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void GenerateThenCheckPasses()
    {
        Assert.Equal(0, Run(check: false).Code);

        var (code, output, _) = Run(check: true);

        Assert.Equal(0, code);
        Assert.Contains("generated files are current", output, StringComparison.Ordinal);
    }

    [Fact]
    public void EditingATableRowWithoutRegeneratingMakesCheckFailNamingTheFile()
    {
        Run(check: false);
        string table = Path.Combine(_root, SpecGenerator.SpecDirectory, "reply-codes.tsv");
        File.WriteAllText(table, File.ReadAllText(table).Replace("Service closing transmission channel", "Service closing the channel", StringComparison.Ordinal));

        var (code, _, error) = Run(check: true);

        Assert.Equal(1, code);
        Assert.Contains("stale: src/SmtpCodec/Generated/SmtpReplyCode.Generated.cs", error, StringComparison.Ordinal);
        Assert.DoesNotContain("SmtpCommand.Generated.cs", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RegeneratingLeavesUnchangedFilesUntouched()
    {
        Run(check: false);
        string path = Path.Combine(_root, SpecGenerator.OutputDirectory, "SmtpCommand.Generated.cs");
        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, old);

        var (code, output, _) = Run(check: false);

        Assert.Equal(0, code);
        Assert.Equal(old, File.GetLastWriteTimeUtc(path));
        Assert.DoesNotContain("wrote", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileNoTableGeneratesIsReportedByCheckAndDeletedByRegenerate()
    {
        Run(check: false);
        string orphan = Path.Combine(_root, SpecGenerator.OutputDirectory, "Gone.Generated.cs");
        File.WriteAllText(orphan, "// old");

        Assert.Contains("Gone.Generated.cs (no table generates it)", Run(check: true).Error, StringComparison.Ordinal);
        Run(check: false);
        Assert.False(File.Exists(orphan));
    }

    [Theory]
    [InlineData("commands.tsv", "MAIL\tMail\t", "MAIL\tMail\textra\t", "cells where the header has")]
    [InlineData("commands.tsv", "\tanywhere\tcurrent\tRFC 5321 section 4.1.1.2", "\tsometimes\tcurrent\tRFC 5321 section 4.1.1.2", "pipelining must be")]
    [InlineData("reply-codes.tsv", "221\tServiceClosing", "261\tServiceClosing", "not a valid reply code")]
    [InlineData("ehlo-keywords.tsv", "CHUNKING\tChunking", "chunking\tPipelining", "repeats")]
    [InlineData("enhanced-status-codes.tsv", "X.1.1\t", "X.01.1\t", "leading zeros")]
    [InlineData("parameters.tsv", "\tMAIL\tSIZE\tnumber", "\tMAIL\tNOSUCH\tnumber", "is not in ehlo-keywords.tsv")]
    [InlineData("ehlo-keywords.tsv", "seconds\tdeliverby\t", "seconds\tdeliver-by\t", "kind must be")]
    public void ABadTableRowFailsNamingFileAndLine(string table, string find, string replace, string expected)
    {
        string path = Path.Combine(_root, SpecGenerator.SpecDirectory, table);
        string text = File.ReadAllText(path);
        Assert.Contains(find, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(find, replace, StringComparison.Ordinal));

        var (code, _, error) = Run(check: false);

        Assert.Equal(1, code);
        Assert.Contains($"src/SmtpCodec/Spec/{table}:", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, SpecGenerator.OutputDirectory)), "nothing is written from a bad table");
    }

    [Fact]
    public void AParameterRowAddedToTheTableRaisesItsCommandsGeneratedCount()
    {
        Run(check: false);
        (int mail, int rcpt) = ParameterCounts();

        AddRow("parameters.tsv", "XTEST\tXTest\tMAIL\tSIZE\tnone\t\t\t6\tlength\tRFC 0000 section 0");

        Assert.Equal(0, Run(check: false).Code);
        Assert.Equal((mail + 1, rcpt), ParameterCounts());
    }

    [Fact]
    public void AKeywordOfKindNumberIsGeneratedAsNumberAndDeliverByKeepsItsOwnKind()
    {
        AddRow("ehlo-keywords.tsv", "XNUMBER\tXNumber\t[SP number]\tnumber\tRFC 0000 section 0");

        Assert.Equal(0, Run(check: false).Code);
        string text = Generated("EhloKeyword.Generated.cs");
        Assert.Contains("EhloKeyword.XNumber => EhloParameterSyntax.Number,", text, StringComparison.Ordinal);
        Assert.Contains("EhloKeyword.DeliverBy => EhloParameterSyntax.DeliverBy,", text, StringComparison.Ordinal);
    }

    private void AddRow(string table, string row) => File.AppendAllText(Path.Combine(_root, SpecGenerator.SpecDirectory, table), row + "\n");

    private string Generated(string name) => File.ReadAllText(Path.Combine(_root, SpecGenerator.OutputDirectory, name));

    private (int Mail, int Rcpt) ParameterCounts()
    {
        string text = Generated("EsmtpParameter.Generated.cs");
        return (Count("MailParameterCount"), Count("RcptParameterCount"));

        int Count(string name) => int.Parse(Regex.Match(text, $@"public const int {name} = (\d+);").Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private (int Code, string Output, string Error) Run(bool check)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Program.Run(_root, check, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
