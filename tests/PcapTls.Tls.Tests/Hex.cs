namespace PcapTls.Tls.Tests;

/// <summary>Hex with comments for byte-level tests: "//" to the end of a line is ignored, as is white space.</summary>
internal static class Hex
{
    public static byte[] Parse(string text)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine;
            var comment = line.IndexOf("//", StringComparison.Ordinal);
            if (comment >= 0)
            {
                line = line[..comment];
            }
            foreach (var c in line)
            {
                if (!char.IsWhiteSpace(c))
                {
                    sb.Append(c);
                }
            }
        }
        return Convert.FromHexString(sb.ToString());
    }

    public static byte[] Repeat(byte value, int count) => Enumerable.Repeat(value, count).ToArray();

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A TLS record around a fragment.</summary>
    public static byte[] Record(byte type, ReadOnlySpan<byte> fragment, ushort version = 0x0303)
    {
        var r = new byte[5 + fragment.Length];
        r[0] = type;
        r[1] = (byte)(version >> 8);
        r[2] = (byte)version;
        r[3] = (byte)(fragment.Length >> 8);
        r[4] = (byte)fragment.Length;
        fragment.CopyTo(r.AsSpan(5));
        return r;
    }

    /// <summary>A handshake message around a body.</summary>
    public static byte[] Handshake(byte type, ReadOnlySpan<byte> body)
    {
        var m = new byte[4 + body.Length];
        m[0] = type;
        m[1] = (byte)(body.Length >> 16);
        m[2] = (byte)(body.Length >> 8);
        m[3] = (byte)body.Length;
        body.CopyTo(m.AsSpan(4));
        return m;
    }
}
