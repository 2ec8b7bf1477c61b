namespace PcapTls.Cli;

/// <summary>Checks an input path up front so the user gets one clear line instead of an exception.</summary>
internal static class InputChecks
{
    public static void RequireReadableFile(string path, string what)
    {
        if (Directory.Exists(path))
        {
            throw new UserErrorException(ExitCode.InputError, $"{path}: is a directory, not a {what} file");
        }
        if (!File.Exists(path))
        {
            throw new UserErrorException(ExitCode.InputError, $"{path}: no such {what} file");
        }
        try
        {
            using var _ = File.OpenRead(path);
        }
        catch (UnauthorizedAccessException)
        {
            throw new UserErrorException(ExitCode.InputError, $"{path}: permission denied");
        }
        catch (IOException e)
        {
            throw new UserErrorException(ExitCode.InputError, $"{path}: {e.Message}");
        }
    }
}

/// <summary>Writes an output file whole or not at all: a temporary file in the same folder, renamed at the end.</summary>
internal static class OutputFiles
{
    public static void WriteReport(FileInfo? file, TextWriter stdout, Action<TextWriter> write)
    {
        if (file is null)
        {
            write(stdout);
            stdout.Flush();
            return;
        }
        var dir = file.Directory?.FullName ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new UserErrorException(ExitCode.OutputError, $"{file.FullName}: the folder {dir} does not exist");
        }
        var temp = Path.Combine(dir, $".{file.Name}.{Environment.ProcessId}.tmp");
        try
        {
            using (var w = new StreamWriter(temp, false, new System.Text.UTF8Encoding(false)))
            {
                write(w);
            }
            File.Move(temp, file.FullName, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new UserErrorException(ExitCode.OutputError, $"{file.FullName}: cannot write ({e.Message})", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temporary file is hidden and named after the process.
        }
    }
}

/// <summary>Reads a password from the terminal without echoing it.</summary>
internal static class PasswordPrompt
{
    public static string Read()
    {
        var chars = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                return chars.ToString();
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (chars.Length > 0)
                {
                    chars.Length--;
                }
                continue;
            }
            if (!char.IsControl(key.KeyChar))
            {
                chars.Append(key.KeyChar);
            }
        }
    }
}

/// <summary>A one-line progress bar on standard error, only on a terminal and only for large files.</summary>
internal sealed class ProgressBar : IProgress<double>, IDisposable
{
    private const long MinimumFileSize = 64L * 1024 * 1024;
    private readonly TextWriter output;
    private int lastPercent = -1;

    private ProgressBar(TextWriter output) => this.output = output;

    public static ProgressBar? ForFile(FileInfo file, TextWriter stderr)
    {
        if (!ReferenceEquals(stderr, Console.Error) || Console.IsErrorRedirected || file.Length < MinimumFileSize)
        {
            return null;
        }
        return new ProgressBar(stderr);
    }

    /// <summary>A bar for a file or files of known size; bytes read so far for a pipe (its size is unknown).</summary>
    public static ProgressBar? ForInput(PcapTls.Capture.Inputs.ICaptureInput input, TextWriter stderr)
    {
        if (!ReferenceEquals(stderr, Console.Error) || Console.IsErrorRedirected || (input.TotalBytes >= 0 && input.TotalBytes < MinimumFileSize))
        {
            return null;
        }
        return new ProgressBar(stderr) { bytesOnly = input.TotalBytes < 0 };
    }

    private bool bytesOnly;

    public void Report(double value)
    {
        if (bytesOnly)
        {
            // The analyzer reports the bytes read when the size is unknown.
            var megabytes = (long)(value / (1 << 20));
            if (megabytes != lastPercent)
            {
                lastPercent = (int)Math.Min(megabytes, int.MaxValue);
                output.Write($"\r{megabytes} MiB read");
            }
            return;
        }
        var percent = (int)Math.Clamp(value * 100, 0, 100);
        if (percent == lastPercent)
        {
            return;
        }
        lastPercent = percent;
        var filled = percent / 4;
        output.Write($"\r[{new string('#', filled)}{new string('.', 25 - filled)}] {percent,3}%");
    }

    public void Dispose()
    {
        if (lastPercent >= 0)
        {
            output.Write("\r" + new string(' ', 40) + "\r");
        }
    }
}
