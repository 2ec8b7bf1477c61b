using PcapTls.Analysis;
using PcapTls.Support;

namespace PcapTls.Reporting;

/// <summary>Writes an analysis report in one output format. Renderers never touch the Console.</summary>
public interface IReportRenderer
{
    void Render(AnalysisReport report, TextWriter output);
}

public enum OutputFormat
{
    Console,
    Json,
    Csv,
    Html,
}

public static class Renderers
{
    /// <param name="support">The support case's section (console and JSON; CSV stays one row per handshake).</param>
    public static IReportRenderer For(OutputFormat format, bool color = false, SupportCase? support = null) => format switch
    {
        OutputFormat.Json => new JsonReportRenderer { Support = support },
        OutputFormat.Csv => new CsvReportRenderer(),
        OutputFormat.Html => new Html.HtmlReportRenderer(),
        _ => new ConsoleReportRenderer(color) { Support = support },
    };
}
