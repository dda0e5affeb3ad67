using System.Globalization;
using System.Text.RegularExpressions;

namespace SmtpCodec.Generator;

/// <summary>The registries: reply codes, enhanced status codes and the codec's own error kinds.</summary>
internal static partial class TableEmitters
{
    public static string ReplyCodes(SpecTable table)
    {
        table.RequireUnique("code");
        table.RequireUnique("identifier");
        CodeBuilder code = Start(table, "using System;");
        code.Summary("The reply codes of RFC 5321 section 4.2.2 and of the extensions; each value is the code itself.");
        code.Open("public enum SmtpReplyCode");
        code.Summary("No code.");
        code.Line("None = 0,");
        foreach (SpecRow row in table.Rows)
        {
            int value = row.Int("code");
            if (!IsValidReplyCode(value))
            {
                throw row.Error($"{value} is not a valid reply code (RFC 5321 section 4.2: 2-5, 0-5, 0-9)");
            }

            Identifier(row, "identifier");
            code.Line();
            code.Summary($"{value}: {row["meaning"]} ({row["reference"]}).");
            code.Line($"{row["identifier"]} = {value},");
        }

        code.Close();
        code.Line();
        code.Summary("Meanings and references of known reply codes.");
        code.Open("public static partial class SmtpReplyCodes");
        code.Summary("Every known code, in table order.");
        code.Line($"public static ReadOnlySpan<SmtpReplyCode> All => [{string.Join(", ", table.Rows.Select(r => "SmtpReplyCode." + r["identifier"]))}];");
        EmitCodeLookup(code, table, "GetMeaning", "What the code means (RFC wording, shortened); null for a code the table does not list.", "meaning");
        EmitCodeLookup(code, table, "GetReference", "The documents that define the code; null for a code the table does not list.", "reference");
        code.Close();
        return code.ToString();
    }

    public static string EnhancedStatusCodes(SpecTable table)
    {
        table.RequireUnique("code");
        table.RequireUnique("identifier");
        var parsed = new List<(SpecRow Row, int Class, int Subject, int Detail)>();
        foreach (SpecRow row in table.Rows)
        {
            Match m = EnhancedCodePattern().Match(row["code"]);
            if (!m.Success)
            {
                throw row.Error($"code '{row["code"]}' must be X.subject.detail or 2|4|5.subject.detail with 1-3 digit parts");
            }

            int cls = m.Groups[1].Value == "X" ? 0 : int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            int subject = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            int detail = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            if (m.Groups[2].Value != subject.ToString(CultureInfo.InvariantCulture) || m.Groups[3].Value != detail.ToString(CultureInfo.InvariantCulture))
            {
                throw row.Error($"code '{row["code"]}' has leading zeros");
            }

            foreach (string basic in row["basic_codes"].Split(' '))
            {
                bool ok = basic is "(any)" or "5XX" or "4XX" or "2XX"
                    || (int.TryParse(basic, NumberStyles.None, CultureInfo.InvariantCulture, out int b) && IsValidReplyCode(b));
                if (!ok)
                {
                    throw row.Error($"basic code '{basic}' must be a reply code, 2XX/4XX/5XX or (any)");
                }
            }

            Identifier(row, "identifier");
            parsed.Add((row, cls, subject, detail));
        }

        CodeBuilder code = Start(table, "using System;");
        code.Summary("An entry of the enhanced status code registry (RFC 3463 and the IANA Enumerated Status Codes).");
        code.Open("public enum KnownEnhancedStatus");
        code.Summary("Not in the registry.");
        code.Line("None = 0,");
        for (int i = 0; i < parsed.Count; i++)
        {
            SpecRow row = parsed[i].Row;
            code.Line();
            code.Summary($"{row["code"]} {row["name"]} ({row["reference"]}).");
            code.Line($"{row["identifier"]} = {i + 1},");
        }

        code.Close();
        code.Line();
        code.Summary("Lookups into the enhanced status code registry; every string is a literal, so nothing is allocated.");
        code.Open("public static partial class EnhancedStatusCodeRegistry");
        code.Summary("Every registry entry, in table order.");
        code.Line($"public static ReadOnlySpan<KnownEnhancedStatus> All => [{string.Join(", ", parsed.Select(p => "KnownEnhancedStatus." + p.Row["identifier"]))}];");
        code.Line();
        code.Summary("Finds the registry entry of a code; entries for a specific class win over X entries.");
        code.Line("/// <param name=\"statusClass\">The class digit: 2, 4 or 5.</param>");
        code.Line("/// <param name=\"subject\">The subject number.</param>");
        code.Line("/// <param name=\"detail\">The detail number.</param>");
        code.Line("/// <returns>The entry, or <see cref=\"KnownEnhancedStatus.None\"/>.</returns>");
        code.Open("public static KnownEnhancedStatus Find(int statusClass, int subject, int detail)");
        foreach (var specific in parsed.Where(p => p.Class != 0))
        {
            code.Open($"if (statusClass == {specific.Class} && subject == {specific.Subject} && detail == {specific.Detail})");
            code.Line($"return KnownEnhancedStatus.{specific.Row["identifier"]};");
            code.Close();
        }

        code.Open("if (statusClass is not (2 or 4 or 5))");
        code.Line("return KnownEnhancedStatus.None;");
        code.Close();
        code.Line("return (subject, detail) switch");
        code.Line("{");
        foreach (var entry in parsed.Where(p => p.Class == 0))
        {
            code.Line($"    ({entry.Subject}, {entry.Detail}) => KnownEnhancedStatus.{entry.Row["identifier"]},");
        }

        code.Line("    _ => KnownEnhancedStatus.None,");
        code.Line("};");
        code.Close();

        EmitEntryLookup(code, parsed.Select(p => p.Row), "string", "GetCode", "The code as the registry writes it, e.g. X.1.1.", r => CodeBuilder.Literal(r["code"]), "\"\"");
        EmitEntryLookup(code, parsed.Select(p => p.Row), "string", "GetName", "The registry's sample text, e.g. Bad destination mailbox address.", r => CodeBuilder.Literal(r["name"]), "\"\"");
        EmitEntryLookup(code, parsed.Select(p => p.Row), "string", "GetDescription", "What the code means, in one sentence.", r => CodeBuilder.Literal(r["description"]), "\"\"");
        EmitEntryLookup(code, parsed.Select(p => p.Row), "string", "GetBasicCodes", "The basic reply codes the registry associates with it, space-separated; (any) when none are given.", r => CodeBuilder.Literal(r["basic_codes"]), "\"\"");
        EmitEntryLookup(code, parsed.Select(p => p.Row), "string", "GetReference", "The defining document.", r => CodeBuilder.Literal(r["reference"]), "\"\"");
        code.Close();
        return code.ToString();
    }

    public static string Errors(SpecTable table)
    {
        table.RequireUnique("identifier");
        foreach (SpecRow row in table.Rows)
        {
            Identifier(row, "identifier");
            if (!row["message"].EndsWith('.'))
            {
                throw row.Error("a message is a sentence ending with '.'");
            }
        }

        CodeBuilder code = Start(table, "using System;");
        code.Summary("What went wrong in the codec; reported with a byte offset, never thrown on the hot path.");
        code.Open("public enum SmtpCodecError");
        code.Summary("No error.");
        code.Line("None = 0,");
        for (int i = 0; i < table.Rows.Count; i++)
        {
            SpecRow row = table.Rows[i];
            code.Line();
            code.Summary(row["message"]);
            code.Line($"{row["identifier"]} = {i + 1},");
        }

        code.Close();
        code.Line();
        code.Summary("Messages, areas and references of codec errors.");
        code.Open("public static partial class SmtpCodecErrors");
        code.Summary("Every error kind except None, in table order.");
        code.Line($"public static ReadOnlySpan<SmtpCodecError> All => [{string.Join(", ", table.Rows.Select(r => "SmtpCodecError." + r["identifier"]))}];");
        EmitErrorLookup(code, table, "string", "GetMessage", "A sentence saying what was wrong.", r => CodeBuilder.Literal(r["message"]), "\"No error.\"");
        EmitErrorLookup(code, table, "SmtpCodecErrorArea", "GetArea", "The part of the codec that reports it.", r => r["area"] switch
        {
            "reply" => "SmtpCodecErrorArea.Reply",
            "capability" => "SmtpCodecErrorArea.Capability",
            "data" => "SmtpCodecErrorArea.Data",
            "command" => "SmtpCodecErrorArea.Command",
            "sasl" => "SmtpCodecErrorArea.Sasl",
            string other => throw r.Error($"area must be reply, capability, data, command or sasl, not '{other}'"),
        }, "SmtpCodecErrorArea.Reply");
        EmitErrorLookup(code, table, "string", "GetReference", "The rule the input broke.", r => CodeBuilder.Literal(r["reference"]), "\"\"");
        code.Close();
        return code.ToString();
    }

    private static bool IsValidReplyCode(int code) =>
        code is >= 200 and <= 599 && (code / 10 % 10) <= 5;

    private static void EmitCodeLookup(CodeBuilder code, SpecTable table, string method, string summary, string column)
    {
        code.Line();
        code.Summary(summary);
        code.Line("/// <param name=\"code\">A three-digit reply code.</param>");
        code.Line("/// <returns>The table's text, or null.</returns>");
        code.Line($"public static string? {method}(int code) => code switch");
        code.Line("{");
        foreach (SpecRow row in table.Rows)
        {
            code.Line($"    {row.Int("code")} => {CodeBuilder.Literal(row[column])},");
        }

        code.Line("    _ => null,");
        code.Line("};");
    }

    private static void EmitEntryLookup(CodeBuilder code, IEnumerable<SpecRow> rows, string returnType, string method, string summary, Func<SpecRow, string> expression, string fallback)
    {
        code.Line();
        code.Summary(summary);
        code.Line("/// <param name=\"entry\">A registry entry.</param>");
        code.Line("/// <returns>The table's text; empty for None.</returns>");
        code.Line($"public static {returnType} {method}(KnownEnhancedStatus entry) => entry switch");
        code.Line("{");
        foreach (SpecRow row in rows)
        {
            code.Line($"    KnownEnhancedStatus.{row["identifier"]} => {expression(row)},");
        }

        code.Line($"    _ => {fallback},");
        code.Line("};");
    }

    private static void EmitErrorLookup(CodeBuilder code, SpecTable table, string returnType, string method, string summary, Func<SpecRow, string> expression, string fallback)
    {
        code.Line();
        code.Summary(summary);
        code.Line("/// <param name=\"error\">An error kind.</param>");
        code.Line("/// <returns>What the spec table says of it.</returns>");
        code.Line($"public static {returnType} {method}(SmtpCodecError error) => error switch");
        code.Line("{");
        foreach (SpecRow row in table.Rows)
        {
            code.Line($"    SmtpCodecError.{row["identifier"]} => {expression(row)},");
        }

        code.Line($"    _ => {fallback},");
        code.Line("};");
    }

    [GeneratedRegex(@"^([X245])\.(\d{1,3})\.(\d{1,3})$")]
    private static partial Regex EnhancedCodePattern();
}
