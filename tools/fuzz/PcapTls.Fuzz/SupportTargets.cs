using PcapTls.Support.Apigee;
using PcapTls.Support.MessageProcessor;
using PcapTls.Support.Router;

namespace PcapTls.Fuzz;

/// <summary>
/// The fuzz target of the support workflow's log readers (src/PcapTls.Support): the input's first byte picks the
/// reader, the rest is the file. Message Processor <c>system.log</c> (with the UTC offset from the second byte),
/// the router's NGINX access log, and a management API truststore listing (<c>certs.json</c> or one
/// certificate's JSON, written to a folder of its own as the CLI reads one). Like <see cref="SurfaceTargets"/>, no
/// SharpFuzz here: tests/PcapTls.Robustness.Tests compiles this file and replays the committed inputs.
/// </summary>
public static class SupportTargets
{
    private static string? listingFolder;

    /// <summary>A folder of this process's own for the listing reader (created on first use, after AFL's set-up).</summary>
    private static string ListingFolder => listingFolder ??= Directory.CreateTempSubdirectory("pcaptls-fuzz-listing-").FullName;

    public static void SupportLog(byte[] data)
    {
        if (data.Length < 2)
        {
            return;
        }
        var body = data[2..];
        switch (data[0] % 3)
        {
            case 0:
                var mp = new SystemLogParser(TimeSpan.FromMinutes(((data[1] % 57) - 28) * 30));
                mp.Read("system.log", new MemoryStream(body, writable: false));
                var result = mp.Result();
                foreach (var failure in result.Failures)
                {
                    _ = failure.ToString() + failure.Exceptions.Count;
                }
                _ = result.UnclaimedExceptions.Count + result.Files.Sum(f => f.Anomalies.Count) + result.EventsNotKept;
                break;
            case 1:
                var router = new RouterAccessLogParser();
                router.Read("router_access_log", new MemoryStream(body, writable: false));
                var requests = router.Result();
                foreach (var request in requests.Requests)
                {
                    _ = request.ToString();
                }
                _ = requests.Files.Sum(f => f.Anomalies.Count) + requests.EventsNotKept;
                break;
            default:
                var file = Path.Combine(ListingFolder, (data[1] & 1) == 0 ? "certs.json" : "root.json");
                foreach (var old in Directory.EnumerateFiles(ListingFolder))
                {
                    File.Delete(old);
                }
                File.WriteAllBytes(file, body);
                var listing = TruststoreListing.Load(ListingFolder);
                _ = listing.Name + listing.Listed.Count + listing.Problems.Count;
                foreach (var entry in listing.Entries)
                {
                    _ = entry.ToString() + string.Join(',', entry.Infos.Select(i => i.ToString()));
                }
                break;
        }
    }
}
