namespace SmtpCodec.Generator;

/// <summary>A generated file: its path from the repository root and its full text.</summary>
public sealed record GeneratedFile(string RelativePath, string Text);

/// <summary>
/// Turns the spec tables under src/SmtpCodec/Spec into the C# under src/SmtpCodec/Generated.
/// Pure: reads the tables, returns the files; <see cref="Program"/> decides whether to write or check.
/// </summary>
public static class SpecGenerator
{
    public const string SpecDirectory = "src/SmtpCodec/Spec";
    public const string OutputDirectory = "src/SmtpCodec/Generated";

    public static IReadOnlyList<GeneratedFile> Generate(string repositoryRoot)
    {
        SpecTable commands = Load(repositoryRoot, "commands.tsv");
        SpecTable keywords = Load(repositoryRoot, "ehlo-keywords.tsv");
        SpecTable parameters = Load(repositoryRoot, "parameters.tsv");
        SpecTable mechanisms = Load(repositoryRoot, "sasl-mechanisms.tsv");
        SpecTable replyCodes = Load(repositoryRoot, "reply-codes.tsv");
        SpecTable enhancedCodes = Load(repositoryRoot, "enhanced-status-codes.tsv");
        SpecTable errors = Load(repositoryRoot, "errors.tsv");

        return
        [
            Output("SmtpCommand.Generated.cs", TableEmitters.Commands(commands)),
            Output("EhloKeyword.Generated.cs", TableEmitters.EhloKeywords(keywords)),
            Output("EsmtpParameter.Generated.cs", TableEmitters.Parameters(parameters, commands, keywords)),
            Output("SaslMechanism.Generated.cs", TableEmitters.SaslMechanisms(mechanisms)),
            Output("SmtpReplyCode.Generated.cs", TableEmitters.ReplyCodes(replyCodes)),
            Output("EnhancedStatusCodeRegistry.Generated.cs", TableEmitters.EnhancedStatusCodes(enhancedCodes)),
            Output("SmtpCodecError.Generated.cs", TableEmitters.Errors(errors)),
        ];
    }

    private static SpecTable Load(string root, string name) => SpecTable.Load(root, $"{SpecDirectory}/{name}");

    private static GeneratedFile Output(string name, string text) => new($"{OutputDirectory}/{name}", text);
}
