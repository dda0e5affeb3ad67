using System.Globalization;

namespace SmtpCodec.Generator;

/// <summary>The MAIL and RCPT parameter table: the parameter vocabulary, its facts and the keyword-valued parameters' own vocabularies.</summary>
internal static partial class TableEmitters
{
    public static string Parameters(SpecTable table, SpecTable commands, SpecTable keywords)
    {
        table.RequireUnique("identifier");
        var commandIdentifiers = commands.Rows.ToDictionary(r => r["verb"], r => r["identifier"], StringComparer.Ordinal);
        var keywordIdentifiers = keywords.Rows.ToDictionary(r => r["keyword"], r => r["identifier"], StringComparer.Ordinal);
        var items = Items(table, "name", row => $"The {row["name"]} parameter of {row["command"]} ({row["reference"]}).");
        var vocabulary = new VocabularyEmitter
        {
            EnumName = "EsmtpParameter",
            EnumSummary = "An ESMTP parameter of MAIL or RCPT.",
            NamesClass = "EsmtpParameterNames",
            NamesSummary = "Wire forms, matching and spec-table facts of ESMTP parameters.",
            Items = items,
        };

        CodeBuilder code = Start(table, VocabularyUsings);
        vocabulary.EmitEnums(code);
        vocabulary.OpenNamesClass(code);
        vocabulary.EmitLookup(code, "SmtpCommand", "GetCommand", "The command that carries the parameter.",
            item => item.Row["command"] is "MAIL" or "RCPT"
                ? $"SmtpCommand.{commandIdentifiers[item.Row["command"]]}"
                : throw item.Row.Error($"command must be MAIL or RCPT, not '{item.Row["command"]}'"),
            "SmtpCommand.None");
        vocabulary.EmitLookup(code, "EhloKeyword", "GetExtension", "The EHLO keyword the server must offer before the parameter may be sent.",
            item => keywordIdentifiers.TryGetValue(item.Row["extension"], out string? id)
                ? $"EhloKeyword.{id}"
                : throw item.Row.Error($"extension '{item.Row["extension"]}' is not in ehlo-keywords.tsv"),
            "EhloKeyword.None");
        vocabulary.EmitLookup(code, "EsmtpValueSyntax", "GetValueSyntax", "The syntax of the parameter's value.",
            item => item.Row["value"] switch
            {
                "none" => "EsmtpValueSyntax.None",
                "number" => "EsmtpValueSyntax.Number",
                "keyword" => "EsmtpValueSyntax.Keyword",
                "keyword-list" => "EsmtpValueSyntax.KeywordList",
                "xtext" => "EsmtpValueSyntax.Xtext",
                "addr-type-xtext" => "EsmtpValueSyntax.AddressTypeXtext",
                "signed-number" => "EsmtpValueSyntax.SignedNumber",
                "by-value" => "EsmtpValueSyntax.ByValue",
                "date-time" => "EsmtpValueSyntax.DateTime",
                string other => throw item.Row.Error($"unknown value syntax '{other}'"),
            },
            "EsmtpValueSyntax.None");
        vocabulary.EmitLookup(code, "int", "GetLineAllowance",
            "Octets the parameter's extension adds to the 512-octet command line (RFC 5321 section 4.5.3.1.4); parameters of one extension share it.",
            item => item.Row.Int("allowance").ToString(CultureInfo.InvariantCulture), "0");
        vocabulary.EmitLookup(code, "string", "GetReference", "The document and section that define the parameter.",
            item => CodeBuilder.Literal(item.Row["reference"]), "\"\"");
        foreach (string verb in (string[])["MAIL", "RCPT"])
        {
            // A writer sizes its scratch of parameters from these counts, so a row added to the table always fits.
            int count = table.Rows.Count(r => r["command"] == verb);
            code.Line();
            code.Summary($"How many parameters of {verb} the table lists: the most one {verb} command can carry, and the size of a writer's scratch for them.");
            code.Line($"public const int {commandIdentifiers[verb]}ParameterCount = {count.ToString(CultureInfo.InvariantCulture)};");
        }

        code.Close();

        foreach (SpecRow row in table.Rows)
        {
            string values = row["values"];
            string enumName = row["value_enum"];
            bool keywordValued = row["value"] is "keyword" or "keyword-list";
            if (keywordValued != (values.Length > 0) || keywordValued != (enumName.Length > 0))
            {
                throw row.Error("values and value_enum are given exactly for keyword and keyword-list parameters");
            }

            if (!keywordValued)
            {
                continue;
            }

            var valueItems = values.Split(' ').Select(pair =>
            {
                string[] parts = pair.Split(':');
                return parts.Length == 2
                    ? new VocabularyItem(parts[0], parts[1], $"{row["name"]}={parts[0]}.", row)
                    : throw row.Error($"value '{pair}' must be WIRE:Identifier");
            }).ToList();
            bool list = row["value"] == "keyword-list";
            var valueVocabulary = new VocabularyEmitter
            {
                EnumName = enumName,
                EnumSummary = $"A value of the {row["name"]} parameter ({row["reference"]}).",
                NamesClass = enumName + "Names",
                NamesSummary = $"Wire forms and matching of {row["name"]} values.",
                FlagsName = list ? enumName + "Flags" : null,
                FlagsSummary = list ? $"A set of {row["name"]} values, written joined by commas." : null,
                Items = valueItems,
            };
            code.Line();
            valueVocabulary.EmitEnums(code);
            valueVocabulary.OpenNamesClass(code);
            code.Close();
        }

        return code.ToString();
    }
}
