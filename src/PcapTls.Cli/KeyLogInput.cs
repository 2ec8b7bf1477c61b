using PcapTls.Analysis;

namespace PcapTls.Cli;

/// <summary>Loads --keylog files, reporting malformed lines with their numbers as warnings.</summary>
internal static class KeyLogInput
{
    public static IHandshakeDecryptorFactory Load(FileInfo[] files, TextWriter stderr)
    {
        foreach (var f in files)
        {
            InputChecks.RequireReadableFile(f.FullName, "key log");
        }
        var decryptors = KeyLogDecryptors.Load(files.Select(f => f.FullName).ToArray());
        foreach (var problem in decryptors.Problems.Take(20))
        {
            stderr.WriteLine($"pcaptls: warning: {problem}");
        }
        return decryptors;
    }
}
