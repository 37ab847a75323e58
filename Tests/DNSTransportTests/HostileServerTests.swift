import DNSModel
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TestAuthority
import Testing

@testable import DNSTransport

/// More hostile servers: floods of forgeries, endless truncation, oversized and malformed responses, and many
/// queries against a silent server. Every test uses loopback ephemeral ports and short timeouts; what each asserts
/// is the outcome, never the wall clock (the timings themselves are checked exactly on virtual time in
/// `VirtualExchangeTests`), and the suite's time limit turns a hang into a failure.
@Suite("HostileServer", .serialized, .timeLimit(.minutes(1)))
struct HostileServerTests {
    static let shortTimeout: Duration = .milliseconds(300)

    func upstream(
        _ port: Int, timeout: Duration = shortTimeout, attempts: Int = 1, tcpOnly: Bool = false,
        maxInFlight: Int = 256
    ) throws -> NetworkUpstream {
        NetworkUpstream(
            servers: [try address("127.0.0.1", port)], timeout: timeout, attempts: attempts,
            tcpOnly: tcpOnly, maxInFlight: maxInFlight, logger: quietLogger)
    }

    func question(_ name: String = "gw.example.", _ type: RRType = .a) throws -> Question {
        Question(name: try dn(name), type: type)
    }

    /// Runs the query and returns its outcome as a value.
    func outcome(_ up: NetworkUpstream, _ q: Question) async -> Result<Message, TransportError> {
        do throws(TransportError) { return .success(try await up.query(q)) } catch { return .failure(error) }
    }

    // MARK: 1. Flood of forgeries before the genuine answer

    @Test func floodOfForgeriesThenGenuineAnswer() async throws {
        let genuine = ResourceRecord(name: try dn("gw.example."), ttl: 60, .a([192, 0, 2, 1]))
        let forgedRecord = ResourceRecord(name: try dn("gw.example."), ttl: 60, .a([203, 0, 113, 66]))
        let forgedCount = 500
        let fake = try await ScriptedUDPServer.start { query in
            var out: [(TimeAmount, [UInt8])] = []
            for i in 0..<forgedCount {
                let bytes: [UInt8]
                switch i % 5 {
                case 0, 1, 2:  // random ID (never the query's), right question
                    var id = UInt16.random(in: 0...UInt16.max)
                    if id == query.id { id &+= 1 }
                    bytes = reply(to: query, id: id, answers: [forgedRecord])
                case 3:  // right ID, another question
                    bytes = reply(
                        to: query, question: Question(name: try! DNSName("evil\(i).example."), type: .a),
                        answers: [forgedRecord])
                default:  // right ID and question, QR clear
                    bytes = reply(to: query, flags: [.rd, .ra], answers: [forgedRecord])
                }
                out.append((.zero, bytes))
            }
            let real = reply(to: query, flags: [.qr, .rd, .ra, .ad], answers: [genuine])
            // The genuine answer last; repeated a little later in case the kernel dropped it from a full buffer.
            out.append((.zero, real))
            out.append((.milliseconds(30), real))
            out.append((.milliseconds(120), real))
            return out
        }
        let up = try upstream(fake.port, timeout: .milliseconds(500))
        let result = await outcome(up, try question())
        let message = try result.get()
        #expect(message.answers == [genuine])
        #expect(message.flags.contains(.ad))
        #expect(up.droppedResponses > 100, "dropped \(up.droppedResponses)")
        #expect(up.droppedResponses <= forgedCount)
        await fake.stop()
    }

    // MARK: 2. Truncated forever

    @Test func truncatedOverUDPAndTCPFails() async throws {
        let tc: @Sendable (Message) -> [UInt8] = { query in reply(to: query, flags: [.qr, .rd, .ra, .tc]) }
        let tcp = try await FakeTCPServer.start { query in lengthPrefixed(tc(query)) }
        let udp = try await FakeUDPServer.start(port: tcp.port) { query in [tc(query)] }
        for attempts in [1, 2] {
            let up = try upstream(tcp.port, attempts: attempts)
            let result = await outcome(up, try question())
            switch result {
            case .success(let m): Issue.record("truncated answer accepted (attempts \(attempts)): \(m)")
            case .failure(.malformedResponse), .failure(.tcpFailure), .failure(.timeout): break
            case .failure(let e): Issue.record("unexpected error \(e)")
            }
        }
        // TCP only: a TC=1 answer over TCP is no answer either.
        let tcpOnly = try upstream(tcp.port, attempts: 2, tcpOnly: true)
        let result = await outcome(tcpOnly, try question())
        if case .success(let m) = result { Issue.record("truncated TCP answer accepted: \(m)") }
        await udp.stop()
        await tcp.stop()
    }

    @Test func truncatedOverUDPAndTCPRefusedFails() async throws {
        // Nothing listens on TCP at this port: UDP says TC=1, the TCP connect is refused.
        let udp = try await FakeUDPServer.start { query in [reply(to: query, flags: [.qr, .rd, .ra, .tc])] }
        for attempts in [1, 2] {
            let up = try upstream(udp.port, attempts: attempts)
            let result = await outcome(up, try question())
            switch result {
            case .success(let m): Issue.record("truncated answer accepted: \(m)")
            case .failure(.network), .failure(.timeout): break
            case .failure(let e): Issue.record("unexpected error \(e)")
            }
            #expect(udp.queryCount >= attempts)
        }
        await udp.stop()
    }

    // MARK: 3. TCP sends too much, or too little then closes

    @Test func tcpExtraBytesAfterAnswerAreIgnored() async throws {
        let genuine = ResourceRecord(name: try dn("gw.example."), ttl: 60, .a([192, 0, 2, 7]))
        let garbage = try await FakeTCPServer.start { query in
            lengthPrefixed(reply(to: query, answers: [genuine])) + [0xde, 0xad, 0xbe, 0xef]
                + Array(repeating: 0xff, count: 3000)
        }
        let second = try await FakeTCPServer.start { query in
            lengthPrefixed(reply(to: query, answers: [genuine]))
                + lengthPrefixed(reply(to: query, id: query.id &+ 1))
                + lengthPrefixed(reply(to: query, flags: [.qr, .tc]))
        }
        for server in [garbage, second] {
            let up = try upstream(server.port, tcpOnly: true)
            let result = await outcome(up, try question())
            #expect(try result.get().answers == [genuine])
        }
        await garbage.stop()
        await second.stop()
    }

    @Test func tcpLengthPrefixLongerThanDataThenCloseFails() async throws {
        let server = try await FakeTCPServer.start(closeAfterReply: true) { query in
            let wire = reply(to: query)
            return [UInt8((wire.count + 100) >> 8), UInt8((wire.count + 100) & 0xFF)] + wire
        }
        let up = try upstream(server.port, timeout: .seconds(3), tcpOnly: true)
        let result = await outcome(up, try question())
        switch result {
        case .success(let m): Issue.record("short message accepted: \(m)")
        case .failure(.tcpFailure(let text)): #expect(text.contains("closed"), "\(text)")
        case .failure(let e): Issue.record("expected a TCP failure, got \(e)")
        }
        // "closed", not "only N of M octets arrived before the deadline": the close ended it, not the deadline.
        await server.stop()
    }

    // MARK: 4. The largest TCP message

    @Test func maximumSizeTCPMessageIsAccepted() async throws {
        let owner = try dn("big.example.")
        let answers = (0..<250).map { i in
            ResourceRecord(name: owner, ttl: 60, .a([10, 0, UInt8(i / 256), UInt8(i % 256)]))
        }
        @Sendable func build(_ query: Message, fill: Int) -> Message {
            let fixed = (0..<20).map { _ in
                ResourceRecord(name: owner, type: .txt, ttl: 60, rdata: txtRData(length: 1000))
            }
            return Message(
                id: query.id, flags: [.qr, .rd, .ra], questions: query.questions, answers: answers,
                additionals: fixed + [ResourceRecord(name: owner, type: .txt, ttl: 60, rdata: txtRData(length: fill))],
                edns: EDNS())
        }
        @Sendable func maximal(_ query: Message) -> [UInt8] {
            let probe = build(query, fill: 1000).wire().count
            return build(query, fill: 1000 + (65_535 - probe)).wire()
        }
        let sizes = Mutex<[Int]>([])
        let tcp = try await FakeTCPServer.start { query in
            let wire = maximal(query)
            sizes.withLock { $0.append(wire.count) }
            return lengthPrefixed(wire)
        }
        let udp = try await FakeUDPServer.start(port: tcp.port) { query in
            [reply(to: query, flags: [.qr, .rd, .ra, .tc])]
        }
        let up = try upstream(tcp.port, timeout: .seconds(1))
        let result = await outcome(up, try question("big.example."))
        let message = try result.get()
        #expect(sizes.withLock { $0 } == [65_535])
        #expect(message.answers == answers)
        #expect(message.additionals.count == 21)
        #expect(message.additionals.allSatisfy { $0.type == .txt })
        #expect(!message.flags.contains(.tc))
        await udp.stop()
        await tcp.stop()
    }

    // MARK: 5. Compression loops

    @Test func compressionLoopIsDroppedNotFatal() async throws {
        let loops: @Sendable (Message) -> [[UInt8]] = { query in
            [
                compressionLoop(query, selfPointer: true),
                compressionLoop(query, selfPointer: false),
            ]
        }
        // Sanity: the decoder rejects both.
        let probe = Message.query(id: 1, name: try dn("gw.example."), type: .a)
        for bytes in loops(probe) { #expect(throws: DNSWireError.self) { try Message(wire: bytes) } }

        let udp = try await FakeUDPServer.start { query in loops(query) }
        let up = try upstream(udp.port)
        let result = await outcome(up, try question())
        expectUnusableThenTCP(result.mapError { $0 as any Error }, "compression pointer")
        #expect(up.droppedResponses == 2)
        await udp.stop()

        // Over TCP: the one message is undecodable, so the exchange fails at once.
        let tcp = try await FakeTCPServer.start { query in lengthPrefixed(compressionLoop(query, selfPointer: true)) }
        let tcpUp = try upstream(tcp.port, timeout: .seconds(3), tcpOnly: true)
        let tcpResult = await outcome(tcpUp, try question())
        guard case .failure(.malformedResponse) = tcpResult else {
            Issue.record("expected malformedResponse, got \(tcpResult)"); await tcp.stop(); return
        }
        #expect(tcpUp.droppedResponses == 1)
        await tcp.stop()
    }

    // MARK: 6. Oversized UDP datagram

    @Test func oversizedDatagramIsNotAccepted() async throws {
        let owner = try dn("gw.example.")
        let udp = try await FakeUDPServer.start { query in
            // A genuine, matching answer of about 8,000 octets: the 4 KiB read cuts it short.
            let many = (0..<500).map { i in
                ResourceRecord(name: owner, ttl: 60, .a([10, 1, UInt8(i / 256), UInt8(i % 256)]))
            }
            let big = reply(to: query, answers: many)
            precondition(big.count > 7_900, "\(big.count)")
            // A small genuine answer padded with zeros to 8,000 octets.
            let small = reply(to: query)
            let padded = small + Array(repeating: 0, count: 8_000 - small.count)
            return [big, padded]
        }
        let up = try upstream(udp.port)
        #expect(up.udpReadSize < 7_900)
        let result = await outcome(up, try question())
        expectUnusableThenTCP(result.mapError { $0 as any Error }, "undecodable")
        #expect(up.droppedResponses == 2)
        await udp.stop()
    }

    // MARK: 7. Many queries to a silent server

    @Test func manyConcurrentQueriesToSilentServerAllTimeOut() async throws {
        let silent = try await FakeUDPServer.start { _ in [] }
        let up = try upstream(silent.port, timeout: .milliseconds(300), attempts: 1, maxInFlight: 64)
        let q = try question()
        // Sampled while the queries run: this process's sockets connected to the silent server.
        let peak = Atomic<Int>(0)
        let sampling = Atomic<Bool>(true)
        let sampler = Task {
            while sampling.load(ordering: .relaxed) {
                peak.max(OwnSockets.connected(toPort: silent.port), ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        let count = 300
        let results = await withTaskGroup(of: Result<Message, TransportError>.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do throws(TransportError) { return .success(try await up.query(q)) } catch {
                        return .failure(error)
                    }
                }
            }
            var out: [Result<Message, TransportError>] = []
            for await r in group { out.append(r) }
            return out
        }
        sampling.store(false, ordering: .relaxed)
        await sampler.value

        let expected = TransportError.timeout(servers: ["127.0.0.1:\(silent.port)"])
        #expect(results.count == count)
        #expect(results.allSatisfy { $0 == Result<Message, TransportError>.failure(expected) })
        // The limit in time (waves of 64, one timeout apart) is checked on virtual time (`inFlightLimitAsksInWaves`);
        // here, in descriptors.
        #expect(peak.load(ordering: .relaxed) <= 64, "peak \(peak.load(ordering: .relaxed)) sockets")
        #expect(peak.load(ordering: .relaxed) > 0, "the sampler saw no socket at all")
        // Every socket is closed again: a query returns only after its channel has closed.
        #expect(OwnSockets.connected(toPort: silent.port) == 0)
        await silent.stop()
    }
}

// MARK: Helpers

/// `bytes` with its RFC 1035 §4.2.2 two-octet length prefix.
func lengthPrefixed(_ bytes: [UInt8]) -> [UInt8] {
    [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
}

/// TXT RDATA of exactly `length` octets (character-strings of up to 255 octets each).
func txtRData(length: Int) -> [UInt8] {
    var out: [UInt8] = []
    var left = length
    while left > 0 {
        let chunk = min(256, left)
        out.append(UInt8(chunk - 1))
        out += Array(repeating: 0x61, count: chunk - 1)
        left -= chunk
    }
    return out
}

/// A response with the query's ID and question, and one answer whose owner name is a compression loop: a pointer
/// to itself (`selfPointer`), or a label followed by a pointer back to the start of that same name.
func compressionLoop(_ query: Message, selfPointer: Bool) -> [UInt8] {
    var m = Message(id: query.id, flags: [.qr, .rd, .ra], questions: query.questions).wire()
    m[6] = 0; m[7] = 1  // ANCOUNT = 1
    let p = m.count
    let pointer: [UInt8] = [0xC0 | UInt8(p >> 8), UInt8(p & 0xFF)]
    m += selfPointer ? pointer : [0x01, 0x61] + pointer
    m += [0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]
    return m
}

/// A UDP server on 127.0.0.1 that answers each query with datagrams sent after the given delays (zero: at once).
final class ScriptedUDPServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let port: Int

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, port: Int) {
        self.group = group; self.channel = channel; self.port = port
    }

    static func start(
        respond: @escaping @Sendable (Message) -> [(TimeAmount, [UInt8])]
    ) async throws -> ScriptedUDPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(Handler(respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedUDPServer(group: group, channel: channel, port: channel.localAddress!.port!)
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let respond: @Sendable (Message) -> [(TimeAmount, [UInt8])]
        init(respond: @escaping @Sendable (Message) -> [(TimeAmount, [UInt8])]) { self.respond = respond }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let query = try? Message(wire: Array(envelope.data.readableBytesView)) else { return }
            let remote = envelope.remoteAddress
            let channel = context.channel
            for (delay, bytes) in respond(query) {
                let out = AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: bytes))
                if delay == .zero {
                    context.write(wrapOutboundOut(out), promise: nil)
                } else {
                    context.eventLoop.scheduleTask(in: delay) { channel.writeAndFlush(out, promise: nil) }
                }
            }
            context.flush()
        }
    }
}
