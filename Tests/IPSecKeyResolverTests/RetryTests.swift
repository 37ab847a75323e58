import DNSModel
import DNSSECValidator
import DNSTransport
import Foundation
import IPSecKeyResolver
import Logging
import Synchronization
import TestAuthority
import Testing

/// Answers spoiled on the path are asked again (over TCP, then from the next server) before a lookup is called
/// bogus or indeterminate; a retry never turns bogus data into secure data.
@Suite(.serialized, .timeLimit(.minutes(3))) struct RetryTests {
    let name = try! DNSName("gw.ecdsa256.test.")

    func resolver(_ servers: [LoopbackServer], timeout: Duration = .milliseconds(800)) async throws -> Resolver {
        let h = try await TestHierarchy.shared()
        var config = ResolverConfiguration()
        config.upstreams = try servers.map { try UpstreamAddress(parsing: $0.address) }
        config.timeout = timeout
        let anchorFile = FileManager.default.temporaryDirectory.appendingPathComponent("retry-root-\(getpid()).ds").path
        try h.dsAnchorText.write(toFile: anchorFile, atomically: true, encoding: .utf8)
        config.trustAnchorFiles = [anchorFile]
        return try await Resolver(configuration: config, logger: Logger(label: "retry-test"))
    }

    /// A third of all replies corrupted (seeded), UDP and TCP alike; 150 cold lookups (a fresh resolver each, as
    /// 150 runs of the command would be): at least 90 % secure, never a secure answer with other records than the
    /// zone's, and every lookup ends well inside its retry window.
    @Test func corruptingPathStillEndsSecure() async throws {
        let h = try await TestHierarchy.shared()
        let genuine = try #require(
            await resolver([try await LoopbackServer.start(engine: h.engine)])
                .resolve(name: name, type: .ipseckey, trace: false).rrset)
        let corrupted = Counter()
        let server = try await LoopbackServer.start(
            engine: h.engine, tamper: HostilePath.corrupting(share: 1.0 / 3, seed: 20261129, corrupted: corrupted))
        defer { Task { await server.stop() } }
        var verdicts: [Verdict: Int] = [:]
        var falselySecure = 0
        var failures: [String] = []
        for _ in 0..<15 {
            // Ten at a time, each with its own cold cache.
            let batch = try await withThrowingTaskGroup(of: ValidatedAnswer.self) { group in
                for _ in 0..<10 {
                    let r = try await resolver([server])
                    group.addTask { await r.resolve(name: name, type: .ipseckey, trace: false) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for answer in batch {
                verdicts[answer.verdict, default: 0] += 1
                if answer.verdict == .secure && Set(answer.rrset?.rdatas ?? []) != Set(genuine.rdatas) {
                    falselySecure += 1
                }
                if answer.verdict != .secure { failures.append(answer.reason?.message ?? "") }
            }
        }
        #expect(falselySecure == 0)
        #expect(
            verdicts[.secure, default: 0] >= 135,
            "\(verdicts); \(corrupted.count) replies corrupted; \(failures.prefix(5))")
        #expect(corrupted.count > 100, "the path did corrupt")
        // How long asking again may go on (the retry window) is checked on the test's own clock in
        // RetryWindowTests; here only what the lookups ended with.
    }

    /// A resolver that strips RRSIG/NSEC before an honest one: the lookup ends secure, the reason names the
    /// stripper, and later lookups ask the honest one first.
    @Test func strippingUpstreamIsDetectedAndAvoided() async throws {
        let h = try await TestHierarchy.shared()
        let strippedQueries = Counter()
        let stripper = try await LoopbackServer.start(
            engine: h.engine, tamper: HostilePath.strippingDNSSEC(asked: strippedQueries))
        let honest = try await LoopbackServer.start(engine: h.engine)
        defer {
            Task {
                await stripper.stop(); await honest.stop()
            }
        }
        let r = try await resolver([stripper, honest])
        let answer = await r.resolve(name: name, type: .ipseckey, trace: false)
        #expect(answer.verdict == .secure)
        #expect(answer.reason?.code == .upstreamStripsDNSSEC)
        #expect(answer.reason?.message.contains(stripper.address) == true, "\(answer.reason?.message ?? "")")
        #expect(
            answer.reason?.message.contains("\(honest.address) over UDP") == true, "\(answer.reason?.message ?? "")")
        let before = strippedQueries.count
        let next = await r.resolve(name: try DNSName("gw.ed25519.test."), type: .ipseckey, trace: false)
        #expect(next.verdict == .secure)
        #expect(strippedQueries.count == before, "the stripper is not asked first any more")
        // The library front door accepts the keys.
        let keys = try await r.resolveAuthenticated(name: name)
        #expect(!keys.isEmpty)
    }

    /// Bogus in the zone itself stays bogus however often it is asked, and the reason tells what each route saw.
    @Test func bogusZoneStaysBogusWithEveryRouteNamed() async throws {
        let h = try await TestHierarchy.shared()
        let a = try await LoopbackServer.start(engine: h.engine)
        let b = try await LoopbackServer.start(engine: h.engine)
        defer {
            Task {
                await a.stop(); await b.stop()
            }
        }
        let r = try await resolver([a, b])
        let answer = await r.resolve(name: try DNSName("gw.tampered.test."), type: .ipseckey, trace: false)
        #expect(answer.verdict == .bogus)
        let message = answer.reason?.message ?? ""
        #expect(message.contains("\(a.address) over UDP: bogus"), "\(message)")
        #expect(message.contains("\(a.address) over TCP: bogus"), "\(message)")
        #expect(message.contains("\(b.address) over UDP: bogus"), "\(message)")
    }

    /// `maxRetriesPerLookup = 0` asks once.
    @Test func noRetriesWhenTurnedOff() async throws {
        let h = try await TestHierarchy.shared()
        let upstream = InProcessUpstream(engine: h.engine)
        var limits = ValidatorLimits()
        limits.maxRetriesPerLookup = 0
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "test-root.ds")
        let r = Resolver(upstream: upstream, anchors: anchors, limits: limits, logger: Logger(label: "t"))
        let answer = await r.resolve(name: try DNSName("gw.tampered.test."), type: .ipseckey, trace: false)
        #expect(answer.verdict == .bogus)
        #expect(!(answer.reason?.message.contains("every route") ?? true))
        #expect(upstream.count(for: Question(name: try DNSName("gw.tampered.test."), type: .ipseckey)) == 1)
    }
}
