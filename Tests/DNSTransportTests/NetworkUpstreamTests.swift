import DNSModel
import Foundation
import NIOCore
import NIOPosix
import TestAuthority
import Testing

@testable import DNSTransport

/// Everything that opens sockets runs serialized so the descriptor count in `noDescriptorLeak` is meaningful.
@Suite("NetworkUpstream", .serialized, .timeLimit(.minutes(2)))
struct NetworkUpstreamTests {
    static let shortTimeout: Duration = .milliseconds(300)

    func withAuthority<T>(host: String = "127.0.0.1", _ body: (LoopbackServer) async throws -> T) async throws -> T {
        let server = try await LoopbackServer.start(engine: (try await TestHierarchy.shared()).engine, host: host)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    func upstream(
        _ servers: [UpstreamAddress], timeout: Duration = .seconds(2), attempts: Int = 1,
        tcpOnly: Bool = false
    ) -> NetworkUpstream {
        NetworkUpstream(servers: servers, timeout: timeout, attempts: attempts, tcpOnly: tcpOnly, logger: quietLogger)
    }

    func ipseckey(_ name: String) throws -> Question { Question(name: try dn(name), type: .ipseckey) }

    // MARK: Against the test authority

    @Test func udpAnswerCarriesSignatures() async throws {
        try await withAuthority { server in
            let up = upstream([try address(server.host, server.port)])
            let response = try await up.query(try ipseckey("gw.ecdsa256.test."))
            #expect(response.rcode == .noError)
            #expect(!response.flags.contains(.tc))
            #expect(response.answers.contains { $0.type == .ipseckey })
            #expect(response.answers.contains { $0.type == .rrsig })
            #expect(response.questions == [try ipseckey("gw.ecdsa256.test.")])
            #expect(up.droppedResponses == 0)
        }
    }

    @Test func udpOverIPv6Loopback() async throws {
        let v6Available =
            (try? await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "::1", port: 0).get().close().get()) != nil
        guard v6Available else { return }
        try await withAuthority(host: "::1") { server in
            let up = upstream([try address("::1", server.port)])
            let response = try await up.query(try ipseckey("gw.ecdsa256.test."))
            #expect(response.answers.contains { $0.type == .rrsig })
            let big = try await up.query(try ipseckey("big.ecdsa256.test."))
            #expect(big.answers.count == 17)
        }
    }

    @Test func questionNameMatchesCaseInsensitively() async throws {
        try await withAuthority { server in
            let up = upstream([try address(server.host, server.port)])
            let response = try await up.query(try ipseckey("GW.Ecdsa256.TEST."))
            #expect(response.answers.contains { $0.type == .ipseckey })
        }
    }

    @Test func truncatedAnswerIsFetchedOverTCP() async throws {
        try await withAuthority { server in
            let up = upstream([try address(server.host, server.port)])
            let response = try await up.query(try ipseckey("big.ecdsa256.test."))
            #expect(!response.flags.contains(.tc))
            #expect(response.answers.count == 17)
            #expect(response.answers.filter { $0.type == .ipseckey }.count == 16)
            #expect(response.answers.filter { $0.type == .rrsig }.count == 1)
        }
    }

    @Test func tcpOnly() async throws {
        try await withAuthority { server in
            let up = upstream([try address(server.host, server.port)], tcpOnly: true)
            let small = try await up.query(try ipseckey("gw.ecdsa256.test."))
            #expect(small.answers.contains { $0.type == .rrsig })
            let big = try await up.query(try ipseckey("big.ecdsa256.test."))
            #expect(big.answers.count == 17)
        }
    }

    @Test func twoHundredConcurrentQueries() async throws {
        try await withAuthority { server in
            let up = upstream([try address(server.host, server.port)], timeout: .seconds(5), attempts: 2)
            let names = ["gw.ecdsa256.test.", "gw-v4.ecdsa256.test.", "gw-v6.ecdsa256.test.", "big.ecdsa256.test."]
            let results = try await withThrowingTaskGroup(of: (String, Int).self) { group in
                for i in 0..<200 {
                    let name = names[i % names.count]
                    let question = try ipseckey(name)
                    group.addTask { (name, try await up.query(question).answers.count) }
                }
                var out: [(String, Int)] = []
                for try await r in group { out.append(r) }
                return out
            }
            #expect(results.count == 200)
            #expect(results.allSatisfy { $0.1 >= 2 })
            #expect(results.filter { $0.0 == "big.ecdsa256.test." }.allSatisfy { $0.1 == 17 })
        }
    }

    @Test func noDescriptorLeak() async throws {
        try await withAuthority { server in
            let up = upstream([try address(server.host, server.port)])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<100 {
                    let question = try ipseckey(i % 10 == 0 ? "big.ecdsa256.test." : "gw.ecdsa256.test.")
                    group.addTask { _ = try await up.query(question) }
                }
                try await group.waitForAll()
            }
            // Failing paths close their channels too: a refused server and a timeout.
            let deadPort = try await unusedPort()
            let dead = upstream([try address("127.0.0.1", deadPort)])
            for _ in 0..<10 { _ = try? await dead.query(try ipseckey("gw.ecdsa256.test.")) }
            // Counted per server port, so other suites' sockets do not move the figure.
            #expect(OwnSockets.connected(toPort: server.port) == 0)
            #expect(OwnSockets.connected(toPort: deadPort) == 0)
        }
    }

    // MARK: Hostile servers

    /// Only unusable datagrams (here: wrong ID) come back: after a short grace for the genuine answer, the server is
    /// asked over TCP (refused here), and the error names both.
    @Test func wrongIDOnlyIsAskedAgainOverTCP() async throws {
        let fake = try await FakeUDPServer.start { query in [reply(to: query, id: query.id &+ 1)] }
        let up = upstream([try address("127.0.0.1", fake.port)], timeout: Self.shortTimeout)
        expectUnusableThenTCP(await result { try await up.query(try ipseckey("gw.example.")) }, "ID ")
        #expect(up.droppedResponses > 0)
        await fake.stop()
    }

    @Test func wrongQuestionIsAskedAgainOverTCP() async throws {
        let fake = try await FakeUDPServer.start { query in
            [
                reply(to: query, question: Question(name: try! DNSName("evil.example."), type: .ipseckey)),
                reply(to: query, question: Question(name: query.questions[0].name, type: .a)),
                reply(
                    to: query,
                    question: Question(name: query.questions[0].name, type: .ipseckey, rrClass: RRClass(rawValue: 3))),
            ]
        }
        let up = upstream([try address("127.0.0.1", fake.port)], timeout: Self.shortTimeout, attempts: 2)
        expectUnusableThenTCP(await result { try await up.query(try ipseckey("gw.example.")) }, "does not match")
        #expect(up.droppedResponses == 6)
        #expect(fake.queryCount == 2)
        await fake.stop()
    }

    @Test func responsesWithoutQRAndGarbageAreDropped() async throws {
        let fake = try await FakeUDPServer.start { query in
            [reply(to: query, flags: [.rd]), [0xde, 0xad], Array(reply(to: query).prefix(20))]
        }
        let up = upstream([try address("127.0.0.1", fake.port)], timeout: Self.shortTimeout)
        expectUnusableThenTCP(await result { try await up.query(try ipseckey("gw.example.")) }, "QR not set")
        #expect(up.droppedResponses == 3)
        await fake.stop()
    }

    @Test func answerFromAnotherPortIsIgnored() async throws {
        let fake = try await FakeUDPServer.start(fromOtherPort: true) { query in [reply(to: query)] }
        let up = upstream([try address("127.0.0.1", fake.port)], timeout: Self.shortTimeout)
        await #expect(throws: TransportError.timeout(servers: ["127.0.0.1:\(fake.port)"])) {
            try await up.query(try ipseckey("gw.example."))
        }
        await fake.stop()
    }

    @Test func wrongIDThenRightAnswerSucceeds() async throws {
        let fake = try await FakeUDPServer.start { query in
            [reply(to: query, id: query.id ^ 0x5555), reply(to: query, flags: [.qr, .rd, .ra, .ad])]
        }
        let up = upstream([try address("127.0.0.1", fake.port)], timeout: Self.shortTimeout)
        let response = try await up.query(try ipseckey("gw.example."))
        #expect(response.flags.contains(.ad))
        #expect(up.droppedResponses == 1)
        await fake.stop()
    }

    @Test func tcpLengthPrefixThenSilenceFailsWithoutHanging() async throws {
        // UDP says "truncated"; TCP on the same port sends a length prefix and then nothing.
        let tcp = try await FakeTCPServer.start { _ in [0x01, 0x00] }
        let udp = try await FakeUDPServer.start(port: tcp.port) { query in
            [reply(to: query, flags: [.qr, .rd, .ra, .tc])]
        }
        let up = upstream([try address("127.0.0.1", tcp.port)], timeout: Self.shortTimeout)
        let question = try ipseckey("gw.example.")
        do {
            let response = try await up.query(question)
            Issue.record("unexpected success: \(response)")
        } catch {
            switch error {
            case .tcpFailure, .timeout: break
            default: Issue.record("unexpected error \(error)")
            }
        }

        // The same over TCP only.
        let tcpOnly = upstream([try address("127.0.0.1", tcp.port)], timeout: Self.shortTimeout, tcpOnly: true)
        await #expect(throws: TransportError.self) { try await tcpOnly.query(try ipseckey("gw.example.")) }
        await udp.stop()
        await tcp.stop()
    }

    @Test func tcpPartialMessageAndMismatchFail() async throws {
        // Half a message, then silence.
        let partial = try await FakeTCPServer.start { query in
            let wire = reply(to: query)
            return [UInt8(wire.count >> 8), UInt8(wire.count & 0xFF)] + wire.prefix(wire.count / 2)
        }
        let up = upstream([try address("127.0.0.1", partial.port)], timeout: Self.shortTimeout, tcpOnly: true)
        let question = try ipseckey("gw.example.")
        do {
            _ = try await up.query(question)
            Issue.record("unexpected success")
        } catch {
            guard case .tcpFailure(let message) = error else { Issue.record("unexpected \(error)"); return }
            #expect(message.contains("octets"))
        }
        await partial.stop()

        // A complete message for another ID, split across two writes by the kernel or not: rejected.
        let mismatch = try await FakeTCPServer.start { query in
            let wire = reply(to: query, id: query.id &+ 7)
            return [UInt8(wire.count >> 8), UInt8(wire.count & 0xFF)] + wire
        }
        let up2 = upstream([try address("127.0.0.1", mismatch.port)], timeout: Self.shortTimeout, tcpOnly: true)
        await #expect(throws: TransportError.self) { try await up2.query(try ipseckey("gw.example.")) }
        #expect(up2.droppedResponses == 1)
        await mismatch.stop()
    }

    @Test func tcpServerClosingEarlyIsAFailure() async throws {
        let closing = try await FakeTCPServer.start { _ in [0x00] }  // one octet of a prefix
        let up = upstream([try address("127.0.0.1", closing.port)], timeout: Self.shortTimeout, tcpOnly: true)
        await #expect(throws: TransportError.self) { try await up.query(try ipseckey("gw.example.")) }
        await closing.stop()
    }

    @Test func failoverFromDeadServer() async throws {
        try await withAuthority { server in
            let dead = try address("127.0.0.1", try await unusedPort())
            let up = upstream([dead, try address(server.host, server.port)], timeout: Self.shortTimeout)
            let response = try await up.query(try ipseckey("gw.ecdsa256.test."))
            #expect(response.answers.contains { $0.type == .rrsig })
        }
    }

    @Test func failoverFromSilentServer() async throws {
        let silent = try await FakeUDPServer.start { _ in [] }
        try await withAuthority { server in
            let up = upstream(
                [try address("127.0.0.1", silent.port), try address(server.host, server.port)],
                timeout: Self.shortTimeout)
            let response = try await up.query(try ipseckey("gw.ecdsa256.test."))
            #expect(response.answers.contains { $0.type == .ipseckey })
        }
        await silent.stop()
    }

    @Test func refusedEverywhereIsNetworkError() async throws {
        let up = upstream([try address("127.0.0.1", try await unusedPort())], timeout: Self.shortTimeout, attempts: 2)
        let question = try ipseckey("gw.example.")
        do {
            _ = try await up.query(question)
            Issue.record("unexpected success")
        } catch {
            guard case .network = error else { Issue.record("expected .network, got \(error)"); return }
        }
        let tcp = upstream(
            [try address("127.0.0.1", try await unusedPort())], timeout: Self.shortTimeout, tcpOnly: true)
        do {
            _ = try await tcp.query(question)
            Issue.record("unexpected success")
        } catch {
            guard case .network = error else { Issue.record("expected .network, got \(error)"); return }
        }
    }

    @Test func noServersConfigured() async throws {
        await #expect(throws: TransportError.noUpstreams) { try await upstream([]).query(try ipseckey("gw.example.")) }
    }
}

/// The outcome of an async throwing call, as a value.
func result<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

/// Only unusable UDP answers came back, then TCP failed too: one malformed-response error that names both.
func expectUnusableThenTCP<T>(
    _ outcome: Result<T, any Error>, _ udpReason: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard case .failure(let error) = outcome, case .malformedResponse(let text)? = error as? TransportError else {
        Issue.record("expected a malformed-response error, got \(outcome)", sourceLocation: sourceLocation)
        return
    }
    #expect(text.contains("(UDP): ") && text.contains(udpReason), "\(text)", sourceLocation: sourceLocation)
    #expect(text.contains("then over TCP:"), "\(text)", sourceLocation: sourceLocation)
}
