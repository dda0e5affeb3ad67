using System.Globalization;
using System.Net;
using System.Text;

namespace SmtpCodec.Benchmarks.Results;

/// <summary>One bar: how many times faster than its anchor, with the target when there is one.</summary>
internal sealed record ChartBar(string Group, string Label, double Ratio, double? Target);

/// <summary>A horizontal bar chart on a logarithmic axis, written as SVG text (no chart package).</summary>
internal static class SvgChart
{
    private const int Width = 960;
    private const int LabelWidth = 390;
    private const int PlotWidth = Width - LabelWidth - 90;
    private const int RowHeight = 20;
    private const int GroupGap = 26;
    private const int Top = 56;

    private static readonly string[] s_colors = ["#2b6cb0", "#2f855a", "#b7791f", "#805ad5", "#4a5568", "#2c7a7b", "#3182ce"];

    public static string Render(string title, string subtitle, IReadOnlyList<ChartBar> bars)
    {
        double max = Math.Max(10, bars.Select(b => Math.Max(b.Ratio, b.Target ?? 0)).DefaultIfEmpty(10).Max());
        double min = Math.Min(0.5, bars.Select(b => b.Ratio).Where(r => r > 0).DefaultIfEmpty(1).Min());
        double logMin = Math.Floor(Math.Log10(min)), logMax = Math.Ceiling(Math.Log10(max));
        double X(double ratio) => LabelWidth + (Math.Log10(Math.Max(ratio, Math.Pow(10, logMin))) - logMin) / (logMax - logMin) * PlotWidth;

        string[] groups = bars.Select(b => b.Group).Distinct().ToArray();
        int height = Top + (bars.Count * RowHeight) + (groups.Length * GroupGap) + 50;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<rect width="{Width}" height="{height}" fill="#ffffff"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="16" y="24" font-size="16" font-weight="bold">{Escape(title)}</text>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="16" y="42" fill="#555">{Escape(subtitle)}</text>""").Append('\n');

        // Decades and the 1x line.
        int plotBottom = height - 40;
        for (double decade = logMin; decade <= logMax; decade++)
        {
            double ratio = Math.Pow(10, decade);
            double x = X(ratio);
            string stroke = ratio == 1 ? "#333" : "#ddd";
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{x:F1}" y1="{Top - 6}" x2="{x:F1}" y2="{plotBottom}" stroke="{stroke}"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{x:F1}" y="{plotBottom + 16}" text-anchor="middle" fill="#555">{Format(ratio)}x</text>""").Append('\n');
        }

        double y = Top;
        for (int g = 0; g < groups.Length; g++)
        {
            string color = s_colors[g % s_colors.Length];
            y += GroupGap;
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="16" y="{y - 8:F1}" font-weight="bold" fill="{color}">{Escape(groups[g])}</text>""").Append('\n');
            foreach (ChartBar bar in bars.Where(b => b.Group == groups[g]))
            {
                // Bars grow from the 1x line: right when faster than the anchor, left (in red) when slower.
                double x0 = X(1), x1 = X(bar.Ratio);
                bool missed = (bar.Target is double t && bar.Ratio < t) || bar.Ratio < 1;
                string fill = bar.Ratio < 1 ? "#c53030" : color;
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{LabelWidth - 8}" y="{y + 14:F1}" text-anchor="end">{Escape(bar.Label)}</text>""").Append('\n');
                svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{Math.Min(x0, x1):F1}" y="{y + 3:F1}" width="{Math.Max(1, Math.Abs(x1 - x0)):F1}" height="{RowHeight - 6}" fill="{fill}" opacity="0.85"/>""").Append('\n');
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Math.Max(x0, x1) + 5:F1}" y="{y + 14:F1}"{(missed ? " fill=\"#c53030\"" : "")}>{Format(bar.Ratio)}x</text>""").Append('\n');
                if (bar.Target is double target)
                {
                    double xt = X(target);
                    svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{xt:F1}" y1="{y + 1:F1}" x2="{xt:F1}" y2="{y + RowHeight - 1:F1}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"><title>target {Format(target)}x</title></line>""").Append('\n');
                }

                y += RowHeight;
            }
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text x="16" y="{height - 8}" fill="#555">Bars: times the anchor's speed, from the 1x line (log scale; red: slower than the anchor). Dashed marks: the issue's targets.</text>""").Append('\n');
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    public static string Format(double ratio) =>
        ratio >= 100 ? ratio.ToString("N0", CultureInfo.InvariantCulture)
        : ratio >= 10 ? ratio.ToString("F0", CultureInfo.InvariantCulture)
        : ratio >= 1 ? ratio.ToString("0.0", CultureInfo.InvariantCulture)
        : ratio.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
