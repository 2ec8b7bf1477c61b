using PcapTls.Validation;
using static PcapTls.Validation.Tests.TestPki;

namespace PcapTls.Validation.Tests;

[TestClass]
public sealed class ValidationCacheTests
{
    [TestMethod]
    public void SameChainInTheSameValidityWindowIsValidatedOnce()
    {
        var root = Root();
        var notAfter = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var leaf = Leaf(root, tweak: s => s with { NotAfter = notAfter });
        var store = Store(root);
        var cache = new ValidationCache();
        ValidationRequest At(DateTimeOffset t) => new([leaf.Der], store, "backend.example.test", t);

        var first = cache.GetOrValidate(At(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        var second = cache.GetOrValidate(At(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.AreSame(first.Sent, second.Sent, "one validation: the second verdict is the first seen at its own time");
        Assert.AreEqual(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), second.At);
        Assert.AreEqual(1, cache.Hits);
        Assert.IsTrue(first.Trusted);

        var atEnd = cache.GetOrValidate(At(new DateTimeOffset(notAfter)));
        Assert.IsTrue(atEnd.Trusted, "NotAfter itself is still valid");
        Assert.IsTrue(atEnd.Quality.ExpiringSoon.Count > 0, "a different window: expiring soon");
        var expired = cache.GetOrValidate(At(new DateTimeOffset(notAfter).AddSeconds(1)));
        Assert.IsFalse(expired.Trusted);
        Assert.AreEqual(CauseCode.CertificateExpired, expired.Findings[0].Code);

        var otherHost = cache.GetOrValidate(new ValidationRequest([leaf.Der], store, "other.example.test", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.IsFalse(otherHost.Trusted);
        Assert.AreEqual(4, cache.Misses);
    }

    [TestMethod]
    public void EndlessDistinctChainsCannotGrowTheCacheBeyondItsLimit()
    {
        var root = Root();
        var store = Store(root);
        var cache = new ValidationCache(maxEntries: 3);
        for (var i = 0; i < 10; i++)
        {
            cache.GetOrValidate(new ValidationRequest([Leaf(root, $"host{i}.example.test").Der], store, $"host{i}.example.test", Now));
            Assert.IsTrue(cache.KeyCount <= 3, $"after {i + 1} chains: {cache.KeyCount} keys");
        }
        Assert.AreEqual(10, cache.Misses);
    }

    [TestMethod]
    public void ConcurrentCallersShareOneVerdict()
    {
        var root = Root();
        var leaf = Leaf(root);
        var store = Store(root);
        var cache = new ValidationCache();
        var verdicts = new ChainVerdict[64];
        Parallel.For(0, verdicts.Length, i => verdicts[i] = cache.GetOrValidate(new ValidationRequest([leaf.Der], store, "backend.example.test", Now.AddMinutes(i))));
        // One validation (its parts shared by every verdict), each verdict at its caller's time.
        Assert.IsTrue(verdicts.All(v => ReferenceEquals(v.Sent, verdicts[0].Sent)));
        Assert.IsTrue(verdicts.Select((v, i) => v.At == Now.AddMinutes(i)).All(x => x));
    }

    /// <summary>The verdict of a window is made once, but each caller's texts quote its own validation time,
    /// whichever caller came first (with several analysis threads, that order is not fixed).</summary>
    [TestMethod]
    public void EachCallerReadsItsOwnValidationTime()
    {
        var root = Root();
        var leaf = Leaf(root, tweak: s => s with { NotAfter = new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        var store = Store(root);
        var cache = new ValidationCache();
        ValidationRequest At(DateTimeOffset t) => new([leaf.Der], store, "backend.example.test", t);
        var early = new DateTimeOffset(2026, 11, 27, 0, 30, 4, TimeSpan.Zero);
        var late = early.AddSeconds(2);

        var a = cache.GetOrValidate(At(early));
        var b = cache.GetOrValidate(At(late));
        var again = cache.GetOrValidate(At(late.AddMilliseconds(300)));

        Assert.AreEqual(1, cache.Misses);
        Assert.AreEqual(CauseCode.CertificateExpired, b.Findings[0].Code);
        StringAssert.Contains(a.Findings[0].Evidence, "validation time 2026-11-27 00:30:04Z");
        StringAssert.Contains(b.Findings[0].Evidence, "validation time 2026-11-27 00:30:06Z");
        Assert.DoesNotContain("00:30:04", b.Findings[0].Evidence);
        Assert.AreSame(b, again, "the same second reads the same texts: one object");

        // The other order gives the same texts.
        var other = new ValidationCache();
        var b2 = other.GetOrValidate(At(late));
        var a2 = other.GetOrValidate(At(early));
        Assert.AreEqual(a.Findings[0].Evidence, a2.Findings[0].Evidence);
        Assert.AreEqual(b.Findings[0].Evidence, b2.Findings[0].Evidence);
        Assert.AreEqual(a.Explanation.Render(), a2.Explanation.Render());
    }

    /// <summary>A verdict the cache retimes for a later caller says everything a fresh validation at that time says:
    /// every public property, the Java exception chain included (it was lost once, so the report of a handshake
    /// depended on which handshake of the same chain a thread validated first).</summary>
    [TestMethod]
    [DataRow("backend.example.test", "other.example.test")]
    [DataRow("backend.example.test", "backend.example.test")]
    public void ARetimedVerdictSaysWhatAFreshValidationSays(string host, string leafHost)
    {
        var root = Root();
        var leaf = Leaf(root, leafHost, s => s with { NotAfter = new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
        var store = Store(root);
        var early = new DateTimeOffset(2026, 11, 27, 0, 30, 4, TimeSpan.Zero);
        var late = early.AddSeconds(7);
        ValidationRequest At(DateTimeOffset t) => new([leaf.Der], store, host, t);
        var cache = new ValidationCache();
        cache.GetOrValidate(At(early));
        var retimed = cache.GetOrValidate(At(late));
        var fresh = ChainValidator.Validate(At(late));

        Assert.AreEqual(1, cache.Misses);
        Assert.IsNotEmpty(fresh.JavaCauseChain, "a Java verdict that is not trusted has its exception chain");
        foreach (var p in typeof(ChainVerdict).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            var (a, b) = (p.GetValue(fresh), p.GetValue(retimed));
            switch (a)
            {
                case IEnumerable<string> texts:
                    CollectionAssert.AreEqual(texts.ToList(), ((IEnumerable<string>)b!).ToList(), p.Name);
                    break;
                case IEnumerable<Finding> findings:
                    CollectionAssert.AreEqual(findings.Select(f => (f.Code, f.Summary, f.Evidence)).ToList(),
                        ((IEnumerable<Finding>)b!).Select(f => (f.Code, f.Summary, f.Evidence)).ToList(), p.Name);
                    break;
                case System.Collections.ICollection list:
                    Assert.AreEqual(list.Count, ((System.Collections.ICollection)b!).Count, p.Name);
                    break;
                case PathExplanation explanation:
                    Assert.AreEqual(explanation.Render(), ((PathExplanation)b!).Render(), p.Name);
                    break;
                case string or ValueType or null:
                    Assert.AreEqual(a, b, p.Name);
                    break;
                default:
                    Assert.AreEqual(a is null, b is null, p.Name);
                    break;
            }
        }
    }

    [TestMethod]
    public void TheKeyIsTheChainsContentNotItsArrays()
    {
        var root = Root();
        var leaf = Leaf(root);
        var store = Store(root);
        var cache = new ValidationCache();
        var first = cache.GetOrValidate(new ValidationRequest([leaf.Der], store, "backend.example.test", Now));
        // A copy of the same DER (another array, as a second capture or a probe would hand) is the same chain.
        var copy = cache.GetOrValidate(new ValidationRequest([(byte[])leaf.Der.Clone()], store, "Backend.Example.TEST", Now));
        Assert.AreSame(first, copy, "same DER content and the host in another case: one entry");
        Assert.AreEqual(1, cache.Hits);

        var intermediate = Intermediate(root);
        var longer = cache.GetOrValidate(new ValidationRequest([leaf.Der, intermediate.Der], store, "backend.example.test", Now));
        Assert.AreNotSame(first, longer, "another chain (one more certificate) is another key");
        cache.GetOrValidate(new ValidationRequest([leaf.Der], store, "backend.example.test", Now) { TlsVersion = 0x0304 });
        cache.GetOrValidate(new ValidationRequest([leaf.Der], store, "backend.example.test", Now, ClientProfile.OpenSsl));
        cache.GetOrValidate(new ValidationRequest([leaf.Der], store, "backend.example.test", Now, ClientProfile.OpenSsl) { AllowPartialChain = true });
        cache.GetOrValidate(new ValidationRequest([leaf.Der], Store(root, intermediate), "backend.example.test", Now));
        Assert.AreEqual(6, cache.KeyCount, "TLS version, profile, partial-chain flag and truststore each split the key");
        Assert.AreEqual(6, cache.Misses);
    }
}
