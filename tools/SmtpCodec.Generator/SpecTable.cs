using System.Globalization;

namespace SmtpCodec.Generator;

/// <summary>One row of a spec table, with the line it came from for error messages.</summary>
internal sealed class SpecRow
{
    private readonly SpecTable _table;
    private readonly string[] _cells;

    internal SpecRow(SpecTable table, string[] cells, int lineNumber)
    {
        _table = table;
        _cells = cells;
        LineNumber = lineNumber;
    }

    public int LineNumber { get; }

    public string this[string column] => _cells[_table.ColumnIndex(column)];

    public int Int(string column)
    {
        string text = this[column];
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
        {
            throw Error($"column '{column}' must be a non-negative number, not '{text}'");
        }

        return value;
    }

    public SpecException Error(string message) => new($"{_table.RelativePath}:{LineNumber}: {message}");
}

/// <summary>
/// A tab-separated spec table: '#' lines are comments, the first other line names the columns,
/// every further line is a row with exactly that many cells.
/// </summary>
internal sealed class SpecTable
{
    private readonly Dictionary<string, int> _columns = new(StringComparer.Ordinal);

    private SpecTable(string relativePath) => RelativePath = relativePath;

    public string RelativePath { get; }

    public List<SpecRow> Rows { get; } = [];

    public static SpecTable Load(string repositoryRoot, string relativePath)
    {
        string fullPath = Path.Combine(repositoryRoot, relativePath);
        if (!File.Exists(fullPath))
        {
            throw new SpecException($"{relativePath}: spec table not found (run from the repository root)");
        }

        var table = new SpecTable(relativePath);
        string[] lines = File.ReadAllText(fullPath).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] cells = line.Split('\t');
            if (table._columns.Count == 0)
            {
                for (int c = 0; c < cells.Length; c++)
                {
                    if (!table._columns.TryAdd(cells[c], c))
                    {
                        throw new SpecException($"{relativePath}:{i + 1}: column '{cells[c]}' appears twice");
                    }
                }

                continue;
            }

            if (cells.Length != table._columns.Count)
            {
                throw new SpecException(
                    $"{relativePath}:{i + 1}: {cells.Length} cells where the header has {table._columns.Count}");
            }

            foreach (string cell in cells)
            {
                if (cell.Length != cell.Trim().Length)
                {
                    throw new SpecException($"{relativePath}:{i + 1}: cell '{cell}' has leading or trailing spaces");
                }
            }

            table.Rows.Add(new SpecRow(table, cells, i + 1));
        }

        if (table.Rows.Count == 0)
        {
            throw new SpecException($"{relativePath}: the table has no rows");
        }

        return table;
    }

    public int ColumnIndex(string column) =>
        _columns.TryGetValue(column, out int index)
            ? index
            : throw new SpecException($"{RelativePath}: no column '{column}'");

    /// <summary>Fails when a column's values repeat, naming both lines.</summary>
    public void RequireUnique(string column, StringComparer? comparer = null)
    {
        var seen = new Dictionary<string, int>(comparer ?? StringComparer.Ordinal);
        foreach (SpecRow row in Rows)
        {
            if (!seen.TryAdd(row[column], row.LineNumber))
            {
                throw row.Error($"'{row[column]}' in column '{column}' repeats line {seen[row[column]]}");
            }
        }
    }
}

/// <summary>A spec table that cannot be turned into code; the message names the file and line.</summary>
internal sealed class SpecException(string message) : Exception(message);
