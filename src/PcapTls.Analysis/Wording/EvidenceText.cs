using System.Globalization;
using System.Runtime.CompilerServices;
using PcapTls.Flows;
using PcapTls.Tls;

namespace PcapTls.Analysis;

/// <summary>The pieces the cause texts quote: alerts, packets, FIN/RST lists, the chain as sent, offered versions,
/// the CAs a server accepts.</summary>
internal static class EvidenceText
{
    private static readonly string?[] AlertTexts = new string?[2 * 256];

    /// <summary>"handshake_failure (40)", "warning close_notify (0)", or "(encrypted)".</summary>
    internal static string AlertText(TlsAlert a)
    {
        if (a.Description is not { } d)
        {
            return "(encrypted)";
        }
        // Made once per level and description; racing threads may each make it, the texts are equal.
        var warning = a.Level == TlsAlertLevel.Warning;
        return AlertTexts[(warning ? 256 : 0) + d] ??= $"{(warning ? "warning " : "")}{TlsNames.AlertDescription(d)} ({d})";
    }

    /// <summary>"FIN", "RST" (the kind's name in capitals).</summary>
    internal static string KindText(TcpControlKind kind) => kind switch
    {
        TcpControlKind.Fin => "FIN",
        TcpControlKind.Rst => "RST",
        _ => kind.ToString().ToUpperInvariant(),
    };

    /// <summary>A packet as the texts quote it ("#12", or "ring.pcap3#12" when the capture is several files),
    /// written straight into the text that quotes it.</summary>
    internal static PacketNumber Packet(long n) => new(n);

    /// <summary>The packet names of the capture being judged on this thread (set by <see cref="HandshakeJudge.Judge"/>
    /// for the judgement's duration); null for one file.</summary>
    [ThreadStatic]
    internal static PcapTls.Capture.Inputs.IPacketNames? Names;

    internal static ReadOnlySpan<char> Short(ReadOnlySpan<char> sha256) => sha256.Length > 16 ? sha256[..16] : sha256;

    /// <summary>"; client FIN #12, server RST #13" (the first four FIN/RST), or empty; made once per judgement.</summary>
    internal static string TeardownText(HandshakeObservation o) => o.TeardownTextMemo ??= MakeTeardownText(o);

    private static string MakeTeardownText(HandshakeObservation o)
    {
        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
        var items = 0;
        foreach (var x in o.Controls)
        {
            if (x.Kind is not (TcpControlKind.Fin or TcpControlKind.Rst))
            {
                continue;
            }
            if (items == 4)
            {
                break;
            }
            text.AppendLiteral(items++ == 0 ? "; " : ", ");
            text.AppendFormatted(o.PeerOf(x.Side).ToCode());
            text.AppendLiteral(x.Kind == TcpControlKind.Fin ? " FIN " : " RST ");
            text.AppendFormatted(Packet(x.Packet));
        }
        return items == 0 ? "" : text.ToStringAndClear();
    }

    /// <summary>The wire evidence of a chain rejection: the ClientHello, the chain as sent, the alert, the FIN/RSTs.</summary>
    internal static string WireEvidence(HandshakeObservation o, SeenCertificates.Seen[] certificates, AlertSeen? alert)
    {
        // The parts, joined with "; ", written straight into one pooled buffer.
        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
        var parts = 0;
        if (o.ClientHelloPacket != 0)
        {
            text.AppendLiteral("ClientHello ");
            text.AppendFormatted(Packet(o.ClientHelloPacket));
            if (o.ClientHello?.ServerName is { } sni)
            {
                text.AppendLiteral(" (SNI ");
                text.AppendFormatted(sni);
                text.AppendLiteral(")");
            }
            parts++;
        }
        if (o.ServerCertificate is not null)
        {
            Separate(ref text, ref parts);
            AppendChain(ref text, o, certificates);
        }
        if (alert is { } a)
        {
            Separate(ref text, ref parts);
            text.AppendFormatted(o.PeerOf(a.Side).ToCode());
            text.AppendLiteral(" alert ");
            text.AppendFormatted(AlertText(a.Alert));
            if (a.Alert.Encrypted)
            {
                text.AppendLiteral(" (encrypted)");
            }
            text.AppendLiteral(" ");
            text.AppendFormatted(Packet(a.Packet));
        }
        var td = TeardownText(o).AsSpan().TrimStart("; ");
        if (td.Length > 0)
        {
            Separate(ref text, ref parts);
            text.AppendFormatted(td);
        }
        return text.ToStringAndClear();
    }

    private static void AppendChain(ref DefaultInterpolatedStringHandler text, HandshakeObservation o, SeenCertificates.Seen[] certificates)
    {
        text.AppendLiteral("Certificate ");
        text.AppendFormatted(Packet(o.ServerCertificatePacket));
        if (o.ServerCertificateDecrypted)
        {
            text.AppendLiteral(" (decrypted)");
        }
        text.AppendLiteral(": ");
        text.AppendFormatted(certificates.Length);
        text.AppendLiteral(" certificate(s): ");
        for (var i = 0; i < certificates.Length; i++)
        {
            var x = certificates[i].Info;
            if (i > 0)
            {
                text.AppendLiteral(" | ");
            }
            text.AppendLiteral("[");
            text.AppendFormatted(i);
            text.AppendLiteral("] ");
            text.AppendFormatted(x.IsParsed ? x.Subject : "(unparsable)");
            text.AppendLiteral(" sha256 ");
            text.AppendFormatted(Short(x.Sha256Hex.AsSpan()));
        }
    }

    private static void Separate(ref DefaultInterpolatedStringHandler text, ref int parts)
    {
        if (parts++ > 0)
        {
            text.AppendLiteral("; ");
        }
    }

    internal static string OfferedVersions(ClientHelloInfo h)
    {
        if (h.SupportedVersions.Count == 0)
        {
            return TlsNames.Version(h.LegacyVersion);
        }
        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
        var any = false;
        foreach (var v in h.SupportedVersions)
        {
            // GREASE values (0x?A?A) are not versions.
            if ((v & 0x0F0F) == 0x0A0A)
            {
                continue;
            }
            if (any)
            {
                text.AppendLiteral("/");
            }
            text.AppendFormatted(TlsNames.Version(v));
            any = true;
        }
        return text.ToStringAndClear();
    }

    /// <summary>" (it accepts certificates issued by: A; B)": each name decoded once per analysis.</summary>
    internal static string AcceptedIssuers(CertificateRequestInfo request, DistinguishedNames names)
    {
        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
        text.AppendLiteral(" (it accepts certificates issued by: ");
        var first = true;
        foreach (var der in request.CertificateAuthorities)
        {
            if (!first)
            {
                text.AppendLiteral("; ");
            }
            text.AppendFormatted(names.Text(der));
            first = false;
        }
        text.AppendLiteral(")");
        return text.ToStringAndClear();
    }

    internal static string DistinguishedNameText(byte[] der)
    {
        try
        {
            return new System.Security.Cryptography.X509Certificates.X500DistinguishedName(der).Name;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return "(unparsable name)";
        }
    }
}

/// <summary>"#12": a packet number as the report texts quote it, formatted without an intermediate string.</summary>
internal readonly struct PacketNumber(long number) : ISpanFormattable
{
    public override string ToString() => EvidenceText.Names is { } names ? names.Name(number) : "#" + number.ToString(CultureInfo.InvariantCulture);

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (EvidenceText.Names is { } names)
        {
            var name = names.Name(number);
            charsWritten = name.TryCopyTo(destination) ? name.Length : 0;
            return charsWritten > 0;
        }
        if (destination.Length > 1 && number.TryFormat(destination[1..], out var digits, default, CultureInfo.InvariantCulture))
        {
            destination[0] = '#';
            charsWritten = digits + 1;
            return true;
        }
        charsWritten = 0;
        return false;
    }
}
