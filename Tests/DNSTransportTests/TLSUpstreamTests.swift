import DNSModel
import DNSSECValidator
import Foundation
import NIOCore
import TestAuthority
import Testing

@testable import DNSTransport

// DNS over TLS against in-process NIOSSL servers with certificates made by Scripts/tls-certs (openssl).

private func question(_ name: String, _ type: RRType = .a) throws -> Question {
    Question(name: try DNSName(name), type: type)
}

private func upstream(
    _ server: FakeDoTServer, _ auth: TLSAuthentication, timeout: Duration = .seconds(5),
    attempts: Int = 1, idle: Duration = .seconds(10)
) throws -> TLSUpstream {
    try TLSUpstream(
        servers: [server.address], authentication: auth, timeout: timeout, attempts: attempts,
        idleTimeout: idle, logger: quietLogger)
}

private func byName() throws -> TLSAuthentication {
    TLSAuthentication(name: "dns.test", caFile: try TestCertificates.shared().ca)
}

/// The TLS failure message of a query that must fail, or a recorded issue.
private func tlsFailure(_ up: TLSUpstream, _ q: Question) async -> String {
    do {
        let answer = try await up.query(q)
        Issue.record("expected a TLS failure, got an answer with ID \(answer.id)")
        return ""
    } catch {
        guard case .tls(let message) = error else {
            Issue.record("expected a TLS failure, got \(error)")
            return "\(error)"
        }
        return message
    }
}

@Suite("DNS over TLS: settings")
struct TLSSettingsTests {
    @Test func tlsServerAddresses() throws {
        #expect(try UpstreamAddress(parsingTLS: "tls://127.0.0.1").port == 853)
        #expect(try UpstreamAddress(parsingTLS: "tls://127.0.0.1:8853").port == 8853)
        #expect(try UpstreamAddress(parsingTLS: "TLS://[::1]:853").description == "[::1]:853")
        #expect(try UpstreamAddress(parsingTLS: "tls://::1").port == 853)
        #expect(UpstreamAddress.isTLS("tls://1.2.3.4") && !UpstreamAddress.isTLS("1.2.3.4"))
        #expect(throws: UpstreamAddressError.self) { try UpstreamAddress(parsingTLS: "tls://dns.example") }
        #expect(throws: UpstreamAddressError.self) { try UpstreamAddress(parsingTLS: "127.0.0.1") }
        #expect(try UpstreamAddress(parsing: "127.0.0.1").port == 53)
    }

    @Test func pins() throws {
        let pin = try SPKIPin(parsing: "sha256:eG1/bgtWI/lD+GhXZAPTE8oUDH1rJPPD03sGdVhf7Gc=")
        #expect(pin.sha256.count == 32)
        #expect(pin.description == "sha256:eG1/bgtWI/lD+GhXZAPTE8oUDH1rJPPD03sGdVhf7Gc=")
        for bad in [
            "eG1/bgtWI/lD+GhXZAPTE8oUDH1rJPPD03sGdVhf7Gc=", "sha256:", "sha256:AAAA",
            "sha1:eG1/bgtWI/lD+GhXZAPTE8oUDH1rJPPD03sGdVhf7Gc=",
        ] {
            #expect(throws: TLSConfigurationError.self, "\(bad)") { try SPKIPin(parsing: bad) }
        }
    }

    @Test func authenticationNames() throws {
        try TLSAuthentication(name: "dns.example.net").check()
        try TLSAuthentication(name: "dns.example.net.").check()
        for bad in ["127.0.0.1", "::1", "a..b", "bad name", ""] {
            #expect(throws: TLSConfigurationError.self, "\(bad)") { try TLSAuthentication(name: bad).check() }
        }
        #expect(throws: TLSConfigurationError.self) {
            try TLSAuthentication(name: "dns.test", caFile: "/nonexistent/ca.pem").check()
        }
        #expect(TLSAuthentication(pins: [try SPKIPin(sha256: [UInt8](repeating: 1, count: 32))]).pinsOnly)
        #expect(
            !TLSAuthentication(name: "a.test", pins: [try SPKIPin(sha256: [UInt8](repeating: 1, count: 32))]).pinsOnly)
    }

    @Test func certificateNameMatching() {
        #expect(DoTFrameHandler.matches(pattern: "dns.test", name: "DNS.test."))
        #expect(DoTFrameHandler.matches(pattern: "*.example.net", name: "dns.example.net"))
        #expect(!DoTFrameHandler.matches(pattern: "*.example.net", name: "a.dns.example.net"))
        #expect(!DoTFrameHandler.matches(pattern: "*.net", name: "example.net"))
        #expect(!DoTFrameHandler.matches(pattern: "dns.test", name: "other.test"))
        #expect(!DoTFrameHandler.matches(pattern: "d*.test", name: "dns.test"))
    }

    @Test func queriesArePaddedToBlocksOf128() throws {
        var lengths = Set<Int>()
        for n in 1...60 {
            let name = String(repeating: "a", count: n) + "." + String(repeating: "b", count: n) + ".example."
            let wire = TLSUpstream.queryWire(id: 7, question: try question(name, .ipseckey))
            #expect(wire.count % 128 == 0, "\(name): \(wire.count) octets")
            let message = try Message(wire: wire)
            #expect(message.id == 7)
            let padding = try #require(message.edns?.options.first { $0.code == 12 })
            #expect(padding.data.allSatisfy { $0 == 0 })
            #expect(message.edns?.options.contains { $0.code == 11 && $0.data.isEmpty } == true)
            #expect(!message.edns!.options.contains { $0.code == EDNSOption.cookieCode })
            lengths.insert(wire.count)
        }
        #expect(lengths == [128, 256], "names of 14 to 131 octets span two blocks")
    }
}

@Suite("DNS over TLS: connections", .serialized, .timeLimit(.minutes(1)))
struct TLSUpstreamTests {
    @Test func pipelinedOutOfOrderAnswersShareOneConnection() async throws {
        // The server holds answers until 8 queries have arrived, then answers them last first.
        let server = try await FakeDoTServer.start(.init(batch: 8), respond: echoAnswer)
        defer { Task { await server.stop() } }
        let up = try upstream(server, try byName())
        for round in 0..<3 {
            let names = (0..<8).map { "q\($0).r\(round).example." }
            try await withThrowingTaskGroup(of: (String, Message).self) { group in
                for name in names {
                    group.addTask { (name, try await up.query(try question(name))) }
                }
                for try await (name, answer) in group {
                    #expect(answer.questions.first?.name == (try DNSName(name)))
                    #expect(answer.answers.first?.name == (try DNSName(name)))
                }
            }
        }
        #expect(server.stats.accepted == 1, "24 queries in 3 rounds over \(server.stats.accepted) connections")
        #expect(up.connectionsOpened == 1)
        #expect(up.negotiatedTLSVersions == ["tlsv13"])
        #expect(server.stats.querySizes.count == 24)
        #expect(server.stats.querySizes.allSatisfy { $0 % 128 == 0 }, "\(server.stats.querySizes)")
        #expect(up.droppedResponses == 0)
        await up.shutdown()
    }

    @Test func authenticatedByPinOnly() async throws {
        let certs = try TestCertificates.shared()
        let server = try await FakeDoTServer.start(respond: echoAnswer)
        defer { Task { await server.stop() } }
        // No CA: the test CA is in no system store, so only the pin can make this work.
        let up = try upstream(
            server,
            TLSAuthentication(pins: [try SPKIPin(parsing: certs.otherPin), try SPKIPin(parsing: certs.serverPin)]))
        let answer = try await up.query(try question("pinned.example."))
        #expect(answer.answers.count == 1)
        await up.shutdown()
    }

    @Test func authenticatedByAddressWithCA() async throws {
        let server = try await FakeDoTServer.start(respond: echoAnswer)
        defer { Task { await server.stop() } }
        // The certificate carries IP:127.0.0.1.
        let up = try upstream(server, TLSAuthentication(caFile: try TestCertificates.shared().ca))
        #expect(try await up.query(try question("by-address.example.")).answers.count == 1)
        await up.shutdown()
    }

    @Test func wrongPinIsRefusedBeforeAnyQuery() async throws {
        let certs = try TestCertificates.shared()
        let server = try await FakeDoTServer.start(respond: echoAnswer)
        defer { Task { await server.stop() } }
        let up = try upstream(server, TLSAuthentication(pins: [try SPKIPin(parsing: certs.otherPin)]))
        let message = await tlsFailure(up, try question("x.example."))
        #expect(message.contains("SPKI pin mismatch"), "\(message)")
        #expect(message.contains(certs.serverPin), "the reason names the key the server has: \(message)")
        #expect(server.stats.queries == 0)
    }

    @Test func pinAndNameMustBothHold() async throws {
        let certs = try TestCertificates.shared()
        let server = try await FakeDoTServer.start(respond: echoAnswer)
        defer { Task { await server.stop() } }
        let up = try upstream(
            server, TLSAuthentication(name: "dns.test", pins: [try SPKIPin(parsing: certs.otherPin)], caFile: certs.ca))
        let message = await tlsFailure(up, try question("x.example."))
        #expect(message.contains("SPKI pin mismatch"), "\(message)")
        #expect(server.stats.queries == 0)
    }

    @Test func wrongNameIsRefused() async throws {
        let server = try await FakeDoTServer.start(respond: echoAnswer)
        defer { Task { await server.stop() } }
        let up = try upstream(server, TLSAuthentication(name: "other.test", caFile: try TestCertificates.shared().ca))
        let message = await tlsFailure(up, try question("x.example."))
        #expect(message.contains("certificate name mismatch") && message.contains("other.test"), "\(message)")
        #expect(server.stats.queries == 0)
    }

    @Test func expiredCertificateIsRefused() async throws {
        let certs = try TestCertificates.shared()
        let server = try await FakeDoTServer.start(.init(chain: certs.expiredBundle), respond: echoAnswer)
        defer { Task { await server.stop() } }
        let up = try upstream(server, try byName())
        let message = await tlsFailure(up, try question("x.example."))
        #expect(message.contains("certificate expired") && message.contains("2020-01-31"), "\(message)")
        #expect(server.stats.queries == 0)
    }

    @Test func untrustedCAIsRefused() async throws {
        let server = try await FakeDoTServer.start(respond: echoAnswer)
        defer { Task { await server.stop() } }
        // The system store does not hold the test CA.
        let up = try upstream(server, TLSAuthentication(name: "dns.test"))
        let message = await tlsFailure(up, try question("x.example."))
        #expect(message.contains("certificate not trusted"), "\(message)")
        #expect(server.stats.queries == 0)
    }

    @Test func plainTCPServerOnTheTLSPortGetsNoQuery() async throws {
        let server = try await FakeDoTServer.start(.init(tls: false), respond: echoAnswer)
        defer { Task { await server.stop() } }
        let up = try upstream(server, try byName(), timeout: .milliseconds(700), attempts: 2)
        let message = await tlsFailure(up, try question("secret.example."))
        #expect(message.contains("no TLS handshake"), "\(message)")
        #expect(server.stats.queries == 0)
        // All it ever saw was TLS handshake records (content type 22), never the name in clear text.
        let seen = server.stats.clearBytes
        #expect(seen.first == 22, "first octet \(String(describing: seen.first))")
        #expect(!String(decoding: seen, as: UTF8.self).contains("secret"))
    }

    @Test func inFlightQueriesSurviveAClosedConnection() async throws {
        // The first connection closes when its third query arrives, unanswered; the next one answers in fours.
        let server = try await FakeDoTServer.start(.init(batch: 4, closeFirstAfter: 3), respond: echoAnswer)
        defer { Task { await server.stop() } }
        let up = try upstream(server, try byName())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<4 {
                group.addTask {
                    let name = try DNSName("r\(i).example.")
                    let answer = try await up.query(Question(name: name, type: .a))
                    #expect(answer.answers.first?.name == name)
                }
            }
            try await group.waitForAll()
        }
        #expect(server.stats.accepted == 2)
        #expect(up.connectionsOpened == 2)
        await up.shutdown()
    }

    @Test func idleConnectionClosedAfterTheOfferedKeepalive() async throws {
        // The server offers 100 ms (edns-tcp-keepalive 1); the client's own default here is an hour.
        let server = try await FakeDoTServer.start(.init(keepalive: 1), respond: echoAnswer)
        defer { Task { await server.stop() } }
        let up = try upstream(server, try byName(), idle: .seconds(3600))
        _ = try await up.query(try question("a.example."))
        await server.stats.closed(reaching: 1)  // the client closes the idle connection (else: the time limit)
        _ = try await up.query(try question("b.example."))
        #expect(server.stats.accepted == 2)
        await up.shutdown()
    }

    @Test func secureLookupFromTheTestAuthorityOverTLS() async throws {
        let h = try await TestHierarchy.shared()
        let engine = h.engine
        let server = try await FakeDoTServer.start(.init(batch: 1)) { engine.respond(to: $0) }
        defer { Task { await server.stop() } }
        let up = try upstream(server, try byName())
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "test-root.ds")
        let validator = Validator(
            upstream: up, configuration: ValidatorConfiguration(anchors: anchors), logger: quietLogger)
        let answer = await validator.resolve(name: try DNSName("gw.ecdsa256.test."), type: .ipseckey, trace: false)
        #expect(answer.verdict == .secure, "\(String(describing: answer.reason))")
        #expect(answer.rrset?.rdatas.count == 2)
        #expect(server.stats.accepted == 1, "the answer and the whole chain over one connection")
        #expect(server.stats.queries >= 3)
        await up.shutdown()
    }
}
