using System.Buffers.Binary;

namespace PcapTls.Tls.Preambles;

/// <summary>
/// Android Debug Bridge (AOSP packages/modules/adb, protocol.txt): 24-byte little-endian message headers,
/// command, arg0, arg1, data length, data crc32, magic (= command XOR 0xFFFFFFFF). The host sends CNXN; a
/// device that wants TLS answers STLS, the host answers STLS, and TLS starts on both sides (device = server).
/// </summary>
public sealed class AdbRecogniser : IPreambleRecogniser
{
    private const uint Cnxn = 0x4e584e43;
    private const uint Auth = 0x48545541;
    private const uint Stls = 0x534c5453;
    private const int HeaderLength = 24;

    public string Protocol => "ADB";

    public PreambleRole Recognise(ReadOnlySpan<byte> first, string? peerProtocol, bool final)
    {
        if (first.Length < HeaderLength)
        {
            return (first.Length < 4 || IsCommand(BinaryPrimitives.ReadUInt32LittleEndian(first))) && !final ? PreambleRole.NeedMore : PreambleRole.None;
        }
        var command = BinaryPrimitives.ReadUInt32LittleEndian(first);
        if (!IsCommand(command) || BinaryPrimitives.ReadUInt32LittleEndian(first[20..]) != (command ^ 0xFFFFFFFF))
        {
            return PreambleRole.None;
        }
        return peerProtocol == Protocol ? PreambleRole.Server : PreambleRole.Client;
    }

    private static bool IsCommand(uint command) => command is Cnxn or Auth or Stls;

    public string? FindRefusal(ReadOnlySpan<byte> server, ReadOnlySpan<byte> client) => null;

    public PreambleTarget? FindTarget(ReadOnlySpan<byte> client) => null;
}
