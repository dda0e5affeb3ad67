namespace SmtpCodec.Generator;

/// <summary>One word of a protocol vocabulary: its wire form, C# name and documentation.</summary>
internal sealed record VocabularyItem(string Wire, string Identifier, string Summary, SpecRow Row);

/// <summary>
/// Emits the common shape of a vocabulary: an enum (None = 0, then one member per word), optionally a
/// [Flags] companion with one bit per word, and a static class with the UTF-8 wire literals, the
/// case-insensitive matcher and the list of all words.
/// </summary>
internal sealed class VocabularyEmitter
{
    public required string EnumName { get; init; }
    public required string EnumSummary { get; init; }
    public required string NamesClass { get; init; }
    public required string NamesSummary { get; init; }
    public string? FlagsName { get; init; }
    public string? FlagsSummary { get; init; }
    public required IReadOnlyList<VocabularyItem> Items { get; init; }

    public void EmitEnums(CodeBuilder code)
    {
        CheckIdentifiers();
        code.Summary(EnumSummary);
        code.Open($"public enum {EnumName}");
        code.Summary("No value: nothing matched.");
        code.Line("None = 0,");
        for (int i = 0; i < Items.Count; i++)
        {
            code.Line();
            code.Summary(Items[i].Summary);
            code.Line($"{Items[i].Identifier} = {i + 1},");
        }

        code.Close();

        if (FlagsName is null)
        {
            return;
        }

        if (Items.Count > 64)
        {
            throw new SpecException($"{EnumName}: {Items.Count} items do not fit in a 64-bit flags enum");
        }

        code.Line();
        code.Summary(FlagsSummary ?? FlagsName);
        code.Line("[Flags]");
        code.Open($"public enum {FlagsName} : ulong");
        code.Summary("No flag set.");
        code.Line("None = 0,");
        for (int i = 0; i < Items.Count; i++)
        {
            code.Line();
            code.Summary(Items[i].Summary);
            code.Line($"{Items[i].Identifier} = 1UL << {i},");
        }

        code.Close();
    }

    /// <summary>Opens the names class and emits its common members; the caller adds more and closes it.</summary>
    public void OpenNamesClass(CodeBuilder code)
    {
        code.Line();
        code.Summary(NamesSummary);
        code.Open($"public static partial class {NamesClass}");

        code.Summary($"Every {EnumName} value except None, in table order.");
        code.Line($"public static ReadOnlySpan<{EnumName}> All => [{string.Join(", ", Items.Select(i => $"{EnumName}.{i.Identifier}"))}];");
        EmitLookup(code, "ReadOnlySpan<byte>", "GetUtf8Name", "The wire form as UTF-8 bytes (upper case, as the RFC writes it); empty for None or an unknown value.",
            item => CodeBuilder.Literal(item.Wire) + "u8", "[]", "The value to name.", "The bytes of the wire form.");
        EmitLookup(code, "string", "GetName", "The wire form as a string (a literal: nothing is allocated); empty for None or an unknown value.",
            item => CodeBuilder.Literal(item.Wire), "\"\"", "The value to name.", "The wire form.");
        code.Line();

        AsciiMatcherEmitter.Emit(
            code,
            "TryParse",
            EnumName,
            Items.Select(i => (i.Wire, $"{EnumName}.{i.Identifier}")).ToList(),
            $"Matches the wire form of a {EnumName} in any letter case.");

        if (FlagsName is not null)
        {
            code.Line();
            code.Summary($"The {FlagsName} bit of a value; None for None or an unknown value.");
            code.Line($"/// <param name=\"value\">The value.</param>");
            code.Line($"/// <returns>Its flag.</returns>");
            code.Line($"public static {FlagsName} ToFlag({EnumName} value) =>");
            code.Line($"    value is > {EnumName}.None and <= {EnumName}.{Items[^1].Identifier} ? ({FlagsName})(1UL << ((int)value - 1)) : {FlagsName}.None;");
        }
    }

    /// <summary>Emits a method that maps each value to an expression taken from its row.</summary>
    public void EmitLookup(
        CodeBuilder code,
        string returnType,
        string methodName,
        string summary,
        Func<VocabularyItem, string> expression,
        string fallback,
        string parameterDoc = "The value to look up.",
        string returnsDoc = "What the spec table says of it.")
    {
        code.Line();
        code.Summary(summary);
        code.Line($"/// <param name=\"value\">{parameterDoc}</param>");
        code.Line($"/// <returns>{returnsDoc}</returns>");
        code.Line($"public static {returnType} {methodName}({EnumName} value) => value switch");
        code.Line("{");
        foreach (IGrouping<string, VocabularyItem> group in Items.GroupBy(expression))
        {
            string pattern = string.Join(" or ", group.Select(i => $"{EnumName}.{i.Identifier}"));
            code.Line($"    {pattern} => {group.Key},");
        }

        code.Line($"    _ => {fallback},");
        code.Line("};");
    }

    private void CheckIdentifiers()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { "None" };
        foreach (VocabularyItem item in Items)
        {
            if (item.Identifier.Length == 0 || !char.IsAsciiLetterUpper(item.Identifier[0]) || !item.Identifier.All(char.IsAsciiLetterOrDigit))
            {
                throw item.Row.Error($"identifier '{item.Identifier}' must be PascalCase letters and digits");
            }

            if (!seen.Add(item.Identifier))
            {
                throw item.Row.Error($"identifier '{item.Identifier}' repeats or is reserved");
            }
        }

        var wires = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (VocabularyItem item in Items)
        {
            if (!wires.Add(item.Wire))
            {
                throw item.Row.Error($"'{item.Wire}' repeats (names compare without letter case)");
            }
        }
    }
}
