namespace SmtpCodec.Generator;

/// <summary>One method per spec table: validate its rows, then emit its generated file.</summary>
internal static partial class TableEmitters
{
    private const string VocabularyUsings = "using System;\nusing System.Runtime.InteropServices;\nusing SmtpCodec.Text;";

    public static string Commands(SpecTable table)
    {
        table.RequireUnique("identifier");
        var items = Items(table, "verb", row => $"The {row["verb"]} command ({row["reference"]}).");
        var vocabulary = new VocabularyEmitter
        {
            EnumName = "SmtpCommand",
            EnumSummary = "An SMTP command verb (RFC 5321 section 4.1 and the extensions in the spec table).",
            NamesClass = "SmtpCommandVerbs",
            NamesSummary = "Wire forms, matching and spec-table facts of SMTP command verbs.",
            Items = items,
        };

        CodeBuilder code = Start(table, VocabularyUsings);
        vocabulary.EmitEnums(code);
        vocabulary.OpenNamesClass(code);
        vocabulary.EmitLookup(code, "PipeliningRule", "GetPipeliningRule", "Where the command may stand in a pipelined group (RFC 2920 section 3.1).",
            item => item.Row["pipelining"] switch
            {
                "anywhere" => "PipeliningRule.Anywhere",
                "last" => "PipeliningRule.Last",
                "last-unless-one-round-trip" => "PipeliningRule.LastUnlessOneRoundTrip",
                string other => throw item.Row.Error($"pipelining must be anywhere, last or last-unless-one-round-trip, not '{other}'"),
            },
            "PipeliningRule.Last");
        vocabulary.EmitLookup(code, "bool", "IsObsolete", "Whether RFC 5321 appendix F deprecates the command (the sink refuses it).",
            item => item.Row["status"] switch
            {
                "current" => "false",
                "obsolete" => "true",
                string other => throw item.Row.Error($"status must be current or obsolete, not '{other}'"),
            },
            "false");
        vocabulary.EmitLookup(code, "string", "GetArgumentSyntax", "The syntax of what follows the verb, as the RFC writes it.",
            item => CodeBuilder.Literal(item.Row["arguments"]), "\"\"");
        vocabulary.EmitLookup(code, "string", "GetReference", "The document and section that define the command.",
            item => CodeBuilder.Literal(item.Row["reference"]), "\"\"");
        code.Close();
        return code.ToString();
    }

    public static string EhloKeywords(SpecTable table)
    {
        table.RequireUnique("identifier");
        var items = Items(table, "keyword", row => $"The {row["keyword"]} extension ({row["reference"]}).");
        var vocabulary = new VocabularyEmitter
        {
            EnumName = "EhloKeyword",
            EnumSummary = "An EHLO keyword of the IANA SMTP Service Extensions registry.",
            NamesClass = "EhloKeywords",
            NamesSummary = "Wire forms, matching and spec-table facts of EHLO keywords.",
            FlagsName = "EhloExtensions",
            FlagsSummary = "A set of EHLO keywords, one bit each: what a server offers.",
            Items = items,
        };

        CodeBuilder code = Start(table, VocabularyUsings);
        vocabulary.EmitEnums(code);
        vocabulary.OpenNamesClass(code);
        vocabulary.EmitLookup(code, "EhloParameterSyntax", "GetParameterSyntax", "How the parameters after the keyword are read.",
            item => item.Row["kind"] switch
            {
                "none" => "EhloParameterSyntax.None",
                "size" => "EhloParameterSyntax.Size",
                "mechanisms" => "EhloParameterSyntax.Mechanisms",
                "limits" => "EhloParameterSyntax.Limits",
                "number" => "EhloParameterSyntax.Number",
                "words" => "EhloParameterSyntax.Words",
                "deliverby" => "EhloParameterSyntax.DeliverBy",
                string other => throw item.Row.Error($"kind must be none, size, mechanisms, limits, number, words or deliverby, not '{other}'"),
            },
            "EhloParameterSyntax.Words");
        vocabulary.EmitLookup(code, "string", "GetParameterGrammar", "The parameter syntax as the RFC writes it.",
            item => CodeBuilder.Literal(item.Row["parameters"]), "\"\"");
        vocabulary.EmitLookup(code, "string", "GetReference", "The document and section that define the keyword.",
            item => CodeBuilder.Literal(item.Row["reference"]), "\"\"");
        code.Close();
        return code.ToString();
    }

    public static string SaslMechanisms(SpecTable table)
    {
        table.RequireUnique("identifier");
        var items = Items(table, "name", row => $"The {row["name"]} mechanism ({row["reference"]}).");
        var vocabulary = new VocabularyEmitter
        {
            EnumName = "SaslMechanism",
            EnumSummary = "A SASL mechanism name an EHLO AUTH line can carry.",
            NamesClass = "SaslMechanismNames",
            NamesSummary = "Wire forms, matching and spec-table facts of SASL mechanism names.",
            FlagsName = "SaslMechanismFlags",
            FlagsSummary = "A set of SASL mechanisms, one bit each: what a server offers.",
            Items = items,
        };

        CodeBuilder code = Start(table, VocabularyUsings);
        vocabulary.EmitEnums(code);
        vocabulary.OpenNamesClass(code);
        vocabulary.EmitLookup(code, "bool", "IsClientSupported", "Whether SmtpCodec implements the client side of the mechanism.",
            item => YesNo(item.Row, "client"), "false");
        vocabulary.EmitLookup(code, "string", "GetReference", "The document that defines the mechanism.",
            item => CodeBuilder.Literal(item.Row["reference"]), "\"\"");
        code.Close();
        return code.ToString();
    }


    private static CodeBuilder Start(SpecTable table, string usings)
    {
        var code = new CodeBuilder(table.RelativePath);
        foreach (string line in usings.Split('\n'))
        {
            code.Line(line);
        }

        code.Line();
        code.Line("namespace SmtpCodec.Protocol;");
        code.Line();
        return code;
    }

    private static List<VocabularyItem> Items(SpecTable table, string wireColumn, Func<SpecRow, string> summary) =>
        table.Rows.Select(row => new VocabularyItem(row[wireColumn], row["identifier"], summary(row), row)).ToList();

    private static string YesNo(SpecRow row, string column) => row[column] switch
    {
        "yes" => "true",
        "no" => "false",
        string other => throw row.Error($"column '{column}' must be yes or no, not '{other}'"),
    };

    private static void Identifier(SpecRow row, string column)
    {
        string id = row[column];
        if (id.Length == 0 || !char.IsAsciiLetterUpper(id[0]) || !id.All(char.IsAsciiLetterOrDigit) || id == "None")
        {
            throw row.Error($"identifier '{id}' must be PascalCase letters and digits, and not None");
        }
    }
}
