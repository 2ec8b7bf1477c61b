using PcapTls.Capture.Inputs;

namespace PcapTls.Capture;

public sealed partial class CaptureFileReader
{
    /// <summary>A window over the stream held in one large buffer. Records are parsed in place; only the
    /// unparsed tail is moved when the buffer is refilled.</summary>
    private sealed class ChunkedSource(Stream stream, CountingStream raw, CaptureFileReader owner, CancellationToken ct)
    {
        private byte[] _buffer = new byte[ReadBufferSize];
        private int _start;
        private int _end;
        private bool _eof;

        public ReadOnlySpan<byte> Available => _buffer.AsSpan(_start, _end - _start);

        /// <summary>The stream has no more bytes than <see cref="Available"/>.</summary>
        public bool AtEnd => _eof;

        public void Advance(int count) => _start += count;

        /// <summary>Makes at least <paramref name="needed"/> bytes available; false when the stream ends first.</summary>
        public bool Ensure(int needed)
        {
            if (_end - _start >= needed)
            {
                return true;
            }
            if (_eof)
            {
                return false;
            }
            ct.ThrowIfCancellationRequested();
            // Move the unparsed tail (less than one record) to the front so each read can be a large one.
            var remaining = _end - _start;
            if (_buffer.Length < needed)
            {
                // Only a block larger than the read buffer (bounded by MaxBlockLength) gets here.
                var bigger = new byte[Math.Max(needed, _buffer.Length * 2)];
                Buffer.BlockCopy(_buffer, _start, bigger, 0, remaining);
                _buffer = bigger;
            }
            else if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, remaining);
            }
            _start = 0;
            _end = remaining;
            while (_end - _start < needed)
            {
                var n = stream.Read(_buffer, _end, _buffer.Length - _end);
                if (n == 0)
                {
                    _eof = true;
                    break;
                }
                _end += n;
            }
            Volatile.Write(ref owner._bytesRead, raw.BytesRead);
            return _end - _start >= needed;
        }
    }
}
