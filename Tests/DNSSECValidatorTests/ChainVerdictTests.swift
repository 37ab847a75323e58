import DNSModel
import Testing

@testable import DNSSECValidator

/// The chain of trust speaks in the answer's values: `Verdict` and `Reason`, never a second status type.
@Suite struct ChainVerdictTests {
    let zone = try! DNSName("example.test.")

    @Test func verdictAndReasonAreTheAnswersValues() {
        let r = Reason(.unsignedDelegation, "no DS for example.test.")
        #expect(ChainVerdict.insecure(r).verdict == .insecure)
        #expect(ChainVerdict.bogus(r).verdict == .bogus)
        #expect(ChainVerdict.indeterminate(r).verdict == .indeterminate)
        #expect(ChainVerdict.bogus(r).reason == r)
        let secure = ChainVerdict.secure(zone: zone, keys: [])
        #expect(secure.verdict == .secure)
        #expect(secure.reason == nil)
    }

    /// The zone cache keeps secure, insecure and bogus links until they expire, and never an indeterminate one
    /// (it says more about the upstream's luck than about the zone).
    @Test func zoneCacheKeepsAllButIndeterminate() {
        let cache = ZoneCache(capacity: 16)
        let r = Reason(.upstreamError, "timeout")
        let names = ["a.test.", "b.test.", "c.test.", "d.test."].map { try! DNSName($0) }
        cache.put(names[0], .secure(zone: zone, keys: []), expires: 200)
        cache.put(names[1], .insecure(r), expires: 200)
        cache.put(names[2], .bogus(r), expires: 200)
        cache.put(names[3], .indeterminate(r), expires: 200)
        #expect(cache.get(names[0], now: 100)?.verdict == .secure)
        #expect(cache.get(names[1], now: 100)?.verdict == .insecure)
        #expect(cache.get(names[2], now: 100)?.reason == r)
        #expect(cache.get(names[3], now: 100) == nil)
        #expect(cache.get(names[0], now: 200) == nil)  // expired
    }
}
