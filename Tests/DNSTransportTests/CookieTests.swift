import DNSModel
import Foundation
import Testing

@testable import DNSTransport

/// DNS Cookies (RFC 7873) against fake servers on loopback: what we send, what we learn, and which answers we drop.
@Suite("Cookies", .serialized, .timeLimit(.minutes(1)))
struct CookieTests {
    static let serverCookie: [UInt8] = [0x5e, 0x1f, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd]
    static let genuine = try! ResourceRecord(name: DNSName("gw.example."), ttl: 60, .a([192, 0, 2, 1]))
    static let forged = try! ResourceRecord(name: DNSName("gw.example."), ttl: 60, .a([203, 0, 113, 66]))

    /// The COOKIE option a query carried (client cookie, then the server cookie if any).
    static func cookie(of query: Message) -> [UInt8]? {
        query.edns?.options.first { $0.code == EDNSOption.cookieCode }?.data
    }

    static func answer(
        _ query: Message, cookie: [UInt8]?, rcode: RCode = .noError,
        answers: [ResourceRecord] = [genuine]
    ) -> [UInt8] {
        Message(
            id: query.id, flags: [.qr, .rd, .ra], rcode: rcode, questions: query.questions, answers: answers,
            edns: EDNS(options: cookie.map { [EDNSOption(code: EDNSOption.cookieCode, data: $0)] } ?? [])
        ).wire()
    }

    /// Our client cookie from the query, followed by the server's cookie.
    static func echo(_ query: Message) -> [UInt8] { Array((cookie(of: query) ?? []).prefix(8)) + serverCookie }

    func upstream(_ port: Int, cookies: Bool = true) throws -> NetworkUpstream {
        NetworkUpstream(
            servers: [try address("127.0.0.1", port)], timeout: .milliseconds(500), attempts: 1,
            cookies: cookies, logger: quietLogger)
    }

    let q = Question(name: try! DNSName("gw.example."), type: .a)

    @Test func clientCookieIsSentAndTheServerCookieLearned() async throws {
        let seen = Locked<[[UInt8]]>([])
        let fake = try await FakeUDPServer.start { query in
            seen.withLock { $0.append(Self.cookie(of: query) ?? []) }
            return [Self.answer(query, cookie: Self.echo(query))]
        }
        let up = try upstream(fake.port)
        #expect(try await up.query(q).answers == [Self.genuine])
        #expect(try await up.query(q).answers == [Self.genuine])
        let cookies = seen.withLock { $0 }
        #expect(cookies.count == 2)
        #expect(cookies.first?.count == 8)  // client cookie only
        #expect(cookies.last == Array(cookies[0].prefix(8)) + Self.serverCookie)  // same client cookie, server's added
        await fake.stop()
    }

    @Test func answerWithAnotherClientCookieIsDropped() async throws {
        let fake = try await FakeUDPServer.start { query in
            // Right ID and question, wrong client cookie (a spoofer's guess), then the genuine answer.
            [
                Self.answer(query, cookie: [1, 2, 3, 4, 5, 6, 7, 8] + Self.serverCookie, answers: [Self.forged]),
                Self.answer(query, cookie: Self.echo(query)),
            ]
        }
        let up = try upstream(fake.port)
        #expect(try await up.query(q).answers == [Self.genuine])
        #expect(up.droppedResponses == 1)
        await fake.stop()
    }

    @Test func cookieOfIllegalLengthIsDropped() async throws {
        let fake = try await FakeUDPServer.start { query in
            [
                Self.answer(
                    query, cookie: Array((Self.cookie(of: query) ?? []).prefix(8)) + [9, 9, 9, 9],
                    answers: [Self.forged])
            ]
        }
        let up = try upstream(fake.port)
        await #expect(throws: TransportError.self) { try await up.query(q) }
        #expect(up.droppedResponses == 1)
        await fake.stop()
    }

    @Test func badCookieIsAnsweredByAskingAgainWithTheServerCookie() async throws {
        let seen = Locked<[[UInt8]]>([])
        let fake = try await FakeUDPServer.start { query in
            let sent = Self.cookie(of: query) ?? []
            seen.withLock { $0.append(sent) }
            // Demands its server cookie (RFC 7873 §5.2.3, a server under attack), and teaches it with BADCOOKIE.
            return sent.count > 8
                ? [Self.answer(query, cookie: Self.echo(query))]
                : [Self.answer(query, cookie: Self.echo(query), rcode: .badCookie, answers: [])]
        }
        let up = try upstream(fake.port)
        #expect(try await up.query(q).answers == [Self.genuine])
        #expect(seen.withLock { $0.map(\.count) } == [8, 16])
        await fake.stop()
    }

    @Test func uncookiedUDPAnswerFromACookieServerIsCheckedOverTCP() async throws {
        let port = try await unusedPort()
        let udpQueries = Locked(0)
        let udp = try await FakeUDPServer.start(port: port) { query in
            let n = udpQueries.withLock {
                $0 += 1; return $0
            }
            // First a proper cookie answer; then answers without a cookie, as an off-path forger would send them.
            return n == 1
                ? [Self.answer(query, cookie: Self.echo(query))]
                : [Self.answer(query, cookie: nil, answers: [Self.forged])]
        }
        let tcp = try await FakeTCPServer.start(port: port) { query in
            let bytes = Self.answer(query, cookie: Self.echo(query))
            return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
        }
        let up = try upstream(port)
        #expect(try await up.query(q).answers == [Self.genuine])
        #expect(try await up.query(q).answers == [Self.genuine])  // the forged UDP answer was not taken
        #expect(udpQueries.withLock { $0 } == 2)
        await udp.stop()
        await tcp.stop()
    }

    @Test func serversWithoutCookiesAreUnaffected() async throws {
        let fake = try await FakeUDPServer.start { query in [Self.answer(query, cookie: nil)] }
        let up = try upstream(fake.port)
        #expect(try await up.query(q).answers == [Self.genuine])
        #expect(try await up.query(q).answers == [Self.genuine])
        #expect(up.droppedResponses == 0)
        await fake.stop()
    }

    @Test func cookiesCanBeTurnedOff() async throws {
        let seen = Locked<[[UInt8]?]>([])
        let fake = try await FakeUDPServer.start { query in
            seen.withLock { $0.append(Self.cookie(of: query)) }
            return [Self.answer(query, cookie: nil)]
        }
        let up = try upstream(fake.port, cookies: false)
        #expect(try await up.query(q).answers == [Self.genuine])
        #expect(seen.withLock { $0 } == [nil])
        await fake.stop()
    }
}
