namespace PcapTls.Capture.Inputs;

/// <summary>Counts the raw bytes read through it (a pipe has no position), for progress as bytes read.</summary>
internal sealed class CountingStream(Stream inner) : ForwardReadStream
{
    private long _bytesRead;

    public long BytesRead => Volatile.Read(ref _bytesRead);

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Volatile.Write(ref _bytesRead, _bytesRead + n);
        return n;
    }

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
