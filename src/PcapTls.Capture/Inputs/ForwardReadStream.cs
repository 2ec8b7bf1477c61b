namespace PcapTls.Capture.Inputs;

/// <summary>
/// The base of the inputs' stream wrappers: read-only and forward-only (a pipe, an archive entry, a decompressor).
/// A wrapper overrides <see cref="Read(Span{byte})"/>, and <see cref="Position"/> or <see cref="Length"/> when it
/// knows them; everything a forward-only reader cannot do throws <see cref="NotSupportedException"/>.
/// </summary>
internal abstract class ForwardReadStream : Stream
{
    public abstract override int Read(Span<byte> buffer);

    public sealed override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public sealed override bool CanRead => true;

    public sealed override bool CanSeek => false;

    public sealed override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public sealed override void Flush()
    {
    }

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();

    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
