using PcapTls.Testing;
using PcapTls.Tls;

namespace PcapTls.Tls.Tests;

/// <summary>
/// A recorded connection from Data/*.hex: chunks as read by the recording proxy, "c" client to server (side 0)
/// and "s" server to client (side 1), in the order they were read.
/// </summary>
internal sealed class Fixture
{
    public List<(int Side, byte[] Bytes)> Chunks { get; } = [];

    public static string DataPath(string name) => Path.Combine(RepoPaths.Root, "tests", "PcapTls.Tls.Tests", "Data", name);

    public static Fixture Load(string name)
    {
        var f = new Fixture();
        foreach (var line in File.ReadAllLines(DataPath(name)))
        {
            if (line.Length < 3 || line.StartsWith('#'))
            {
                continue;
            }
            f.Chunks.Add((line[0] == 'c' ? 0 : 1, Convert.FromHexString(line[2..].Trim())));
        }
        return f;
    }

    public byte[] Stream(int side) => Chunks.Where(c => c.Side == side).SelectMany(c => c.Bytes).ToArray();

    /// <summary>Feeds the chunks as recorded (packet number = chunk index + 1), then ends both streams.</summary>
    public RecordingSink Decode(TlsLimits? limits = null, Action<TlsConnectionDecoder>? setup = null)
    {
        var sink = new RecordingSink();
        var decoder = new TlsConnectionDecoder(sink, limits);
        setup?.Invoke(decoder);
        for (var i = 0; i < Chunks.Count; i++)
        {
            decoder.Feed(Chunks[i].Side, Chunks[i].Bytes, new TlsPosition(i + 1, i * 1000));
        }
        decoder.EndOfStream(0, new TlsPosition(Chunks.Count + 1, 0));
        decoder.EndOfStream(1, new TlsPosition(Chunks.Count + 1, 0));
        return sink;
    }
}
