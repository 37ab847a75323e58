import DNSModel
import DNSSECValidator
import DNSTransport
import Foundation
import IPSecKeyResolver
import Logging
import TestAuthority
import Testing

func residentKiB() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return -1 }
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
}

@Suite(.serialized) struct LoadTests {
    /// 10,000 lookups started at once, over real UDP sockets to the test authority on loopback: all secure, no
    /// descriptor left open afterwards, memory bounded.
    @Test func tenThousandConcurrentLookups() async throws {
        let h = try await TestHierarchy.shared()
        let server = try await LoopbackServer.start(engine: h.engine)
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "root.ds")
        let upstream = NetworkUpstream(
            servers: [try UpstreamAddress(parsing: server.address)], timeout: .seconds(5),
            attempts: 3, maxInFlight: 64, logger: Logger(label: "load"))
        let resolver = Resolver(upstream: upstream, anchors: anchors, logger: Logger(label: "load"))
        // Warm up once so that the chain and NIO's threads exist before measuring memory.
        _ = try await resolver.resolveAuthenticated(name: try DNSName("w0.wild.nsec.test."))
        let rssBefore = residentKiB()
        let (secure, failures) = await withTaskGroup(of: String?.self) { group in
            for i in 1...10_000 {
                group.addTask {
                    do {
                        let keys = try await resolver.resolveAuthenticated(name: try DNSName("w\(i).wild.nsec.test."))
                        return keys.isEmpty ? "w\(i): no keys" : nil
                    } catch { return "w\(i): \(error)" }
                }
            }
            var n = 0
            var failed: [String] = []
            for await failure in group { if let failure { failed.append(failure) } else { n += 1 } }
            return (n, failed)
        }
        #expect(secure == 10_000, "\(failures.prefix(3))")
        // A lookup returns only after its channels have closed: no socket to the server is left.
        #expect(OwnSockets.connected(toPort: server.port) == 0)
        let grown = residentKiB() - rssBefore
        // 400 MiB by default; Scripts/sanitize raises it for AddressSanitizer's shadow memory and quarantine.
        let limitMiB = Int(ProcessInfo.processInfo.environment["LOAD_TEST_RSS_LIMIT_MIB"] ?? "") ?? 400
        #expect(grown < limitMiB * 1024, "resident memory grew by \(grown) KiB")
        await server.stop()
    }
}
