using PcapTls.Analysis;

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
}

public static class Renderers
{
    public static IReportRenderer For(OutputFormat format, bool color = false) => format switch
    {
        OutputFormat.Json => new JsonReportRenderer(),
        OutputFormat.Csv => new CsvReportRenderer(),
        _ => new ConsoleReportRenderer(color),
    };
}
