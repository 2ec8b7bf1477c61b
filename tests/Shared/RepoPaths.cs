namespace PcapTls.Testing;

/// <summary>Locates the repository (the folder holding PcapTls.sln) from a test's output folder.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PcapTls.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("PcapTls.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => RootLazy.Value;

    public static string Captures => Path.Combine(Root, "captures");

    public static string Capture(string relative) => Path.Combine(Captures, relative);
}
