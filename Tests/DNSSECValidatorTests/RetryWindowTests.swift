import DNSModel
import Logging
import TestAuthority
import Testing
import Upstream

@testable import DNSSECValidator

/// The retry window on a clock the test moves: asking again stops once `limits.retryWindow` has passed since the
/// first attempt, however many retries `maxRetriesPerLookup` would still allow. No wall clock is read.
@Suite struct RetryWindowTests {
    /// An upstream over the test authority on which every answer for the looked-up name takes `step` of the test's
    /// clock; it counts those IPSECKEY answers (one per attempt: each attempt fetches the answer fresh).
    final class SlowAnswers: DNSUpstream {
        let inner: InProcessUpstream
        let name: DNSName
        let step: Duration
        let clock = Locked(Duration.zero)
        let asked = Locked(0)

        init(_ inner: InProcessUpstream, name: DNSName, step: Duration) {
            self.inner = inner; self.name = name; self.step = step
        }

        func query(_ question: Question) async throws(TransportError) -> Message {
            if question.name == name && question.type == .ipseckey {
                asked.withLock { $0 += 1 }
                clock.withLock { $0 += step }
            }
            return try await inner.query(question)
        }
    }

    /// `gw.tampered.test.`'s signature does not verify (bogus, worth asking again). With answers taking 6 s and a
    /// 10 s window, the attempts start at 6 s (the first, which starts the window), 12 s (6 s in) and 18 s
    /// (12 s in: past the window, so the last); with a 100 s window all 1 + 3 attempts run.
    @Test(arguments: [(10, 3), (100, 4), (5, 2)])
    func askingAgainStopsAtTheWindow(windowSeconds: Int, attempts: Int) async throws {
        let h = try await TestHierarchy.shared()
        let name = try DNSName("gw.tampered.test.")
        let upstream = SlowAnswers(InProcessUpstream(engine: h.engine), name: name, step: .seconds(6))
        var limits = ValidatorLimits()
        limits.retryWindow = .seconds(windowSeconds)
        #expect(limits.maxRetriesPerLookup == 3)
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "root.ds")
        let v = Validator(
            upstream: upstream, configuration: ValidatorConfiguration(anchors: anchors, limits: limits),
            logger: Logger(label: "retry-window"), monotonic: { upstream.clock.withLock { $0 } })
        let answer = await v.resolve(name: name, type: .ipseckey, trace: false)
        #expect(answer.verdict == .bogus)
        #expect(upstream.asked.withLock { $0 } == attempts, "\(answer.reason?.message ?? "")")
    }
}
