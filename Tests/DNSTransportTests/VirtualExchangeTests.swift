import DNSModel
import NIOCore
import NIOEmbedded
import Testing
import Upstream

@testable import DNSTransport

/// Channels on NIO's `NIOAsyncTestingEventLoop` in place of sockets. Each exchange's channel is handed to the test
/// (with the server it is for, UDP or TCP, and the loop's time when it was made); the test reads the query written
/// to it, writes answers in, and moves the loop's clock. Nothing here waits on a wall clock.
final class VirtualNetwork: Sendable {
    struct Made: Sendable {
        let channel: NIOAsyncTestingChannel
        let server: UpstreamAddress
        let tcp: Bool
        /// Milliseconds of virtual time when the exchange made its channel.
        let atMilliseconds: Int64
    }

    let loop = NIOAsyncTestingEventLoop()
    let made: AsyncStream<Made>
    private let sink: AsyncStream<Made>.Continuation

    init() { (made, sink) = AsyncStream.makeStream() }

    var maker: ChannelMaker {
        ChannelMaker { [loop, sink] _, server, tcp, _, _, handler in
            let channel = NIOAsyncTestingChannel(loop: loop)
            return loop.flatSubmit {
                do { try handler(channel) } catch { return loop.makeFailedFuture(error) }
                let at = loop.now.uptimeNanoseconds / 1_000_000
                sink.yield(Made(channel: channel, server: server, tcp: tcp, atMilliseconds: Int64(at)))
                return channel.connect(to: server.socketAddress).map { channel as Channel }
            }
        }
    }

    func upstream(
        _ servers: [UpstreamAddress], timeout: Duration, attempts: Int = 1, tcpOnly: Bool = false,
        maxInFlight: Int = 256
    ) -> NetworkUpstream {
        NetworkUpstream(
            servers: servers, timeout: timeout, attempts: attempts, tcpOnly: tcpOnly,
            payloadSize: EDNS.defaultPayloadSize, maxInFlight: maxInFlight, cookies: false, group: loop,
            channels: maker, logger: quietLogger)
    }

    /// Moves the clock by `ms` milliseconds, running every timer due on the way.
    func advance(_ ms: Int64) async { await loop.advanceTime(by: .milliseconds(ms)) }
}

extension AsyncStream<VirtualNetwork.Made>.Iterator {
    /// The next exchange's channel and the query written to it (for TCP, without its length prefix).
    mutating func exchange() async throws -> (VirtualNetwork.Made, Message) {
        guard let made = await next() else { throw TransportError.noUpstreams }
        let buffer = try await made.channel.waitForOutboundWrite(as: ByteBuffer.self)
        let bytes = Array(buffer.readableBytesView)
        return (made, try Message(wire: made.tcp ? Array(bytes.dropFirst(2)) : bytes))
    }
}

extension VirtualNetwork.Made {
    /// Writes `bytes` in as the server's answer, then runs what that queued on the loop (its `execute`s from the
    /// loop itself wait for the loop to be spun; no time passes).
    func answer(_ bytes: [UInt8]) async throws {
        if tcp {
            try await channel.writeInbound(ByteBuffer(bytes: [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)]))
            try await channel.writeInbound(ByteBuffer(bytes: bytes))
        } else {
            try await channel.writeInbound(
                AddressedEnvelope(remoteAddress: server.socketAddress, data: ByteBuffer(bytes: bytes)))
        }
        await channel.testingEventLoop.run()
    }
}

/// `NetworkUpstream`'s deadlines, rounds, failover, grace, in-flight limit and cancellation on virtual time: each
/// is checked to the millisecond, where a test on real sockets could only bound the wall clock.
@Suite(.timeLimit(.minutes(1))) struct VirtualExchangeTests {
    let a = try! UpstreamAddress(parsing: "127.0.0.1:5301")
    let b = try! UpstreamAddress(parsing: "127.0.0.2:5302")
    let question = Question(name: try! DNSName("gw.example."), type: .ipseckey)

    func ask(_ up: NetworkUpstream) -> Task<Message, any Error> {
        Task { [question] in try await up.query(question) }
    }

    /// A silent server: the exchange is still open 1 ms before the timeout and fails at exactly it, channel closed.
    @Test func deadlineIsExact() async throws {
        let net = VirtualNetwork()
        let task = ask(net.upstream([a], timeout: .seconds(2)))
        var made = net.made.makeAsyncIterator()
        let (first, _) = try await made.exchange()
        #expect(!first.tcp && first.atMilliseconds == 0)
        await net.advance(1999)
        #expect(first.channel.isActive)
        await net.advance(1)
        await #expect(throws: TransportError.timeout(servers: [a.description])) { try await task.value }
        #expect(!first.channel.isActive)
    }

    /// Two silent servers, two rounds: a, b, a, b, each asked exactly when the one before timed out; then one
    /// timeout error naming both, at 4 × the timeout.
    @Test func roundsOverTheServers() async throws {
        let net = VirtualNetwork()
        let task = ask(net.upstream([a, b], timeout: .seconds(1), attempts: 2))
        var made = net.made.makeAsyncIterator()
        for (i, server) in [a, b, a, b].enumerated() {
            let (m, _) = try await made.exchange()
            #expect(m.server == server && !m.tcp, "exchange \(i): \(m.server)")
            #expect(m.atMilliseconds == Int64(i) * 1000, "exchange \(i)")
            await net.advance(1000)
        }
        await #expect(throws: TransportError.timeout(servers: [a.description, b.description])) {
            try await task.value
        }
    }

    /// The first server is silent, the second answers: asked when the first timed out, not before.
    @Test func failoverAfterExactlyTheTimeout() async throws {
        let net = VirtualNetwork()
        let up = net.upstream([a, b], timeout: .milliseconds(300))
        let task = ask(up)
        var made = net.made.makeAsyncIterator()
        let (silent, _) = try await made.exchange()
        #expect(silent.server == a)
        await net.advance(299)
        #expect(silent.channel.isActive)
        await net.advance(1)
        let (second, query) = try await made.exchange()
        #expect(second.server == b && second.atMilliseconds == 300)
        try await second.answer(reply(to: query, flags: [.qr, .rd, .ra, .ad]))
        #expect(try await task.value.flags.contains(.ad))
    }

    /// Only an unusable datagram: the genuine answer gets min(timeout / 4, 250 ms); then TCP to the same server,
    /// whose answer is taken.
    @Test(arguments: [(2000, 250), (400, 100)])
    func unusableUDPThenTCPAfterTheGrace(timeout: Int64, grace: Int64) async throws {
        let net = VirtualNetwork()
        let up = net.upstream([a], timeout: .milliseconds(timeout))
        let task = ask(up)
        var made = net.made.makeAsyncIterator()
        let (udp, query) = try await made.exchange()
        try await udp.answer(reply(to: query, id: query.id &+ 1))
        await net.advance(grace - 1)
        #expect(udp.channel.isActive)
        await net.advance(1)
        let (tcp, again) = try await made.exchange()
        #expect(tcp.tcp && tcp.server == a && tcp.atMilliseconds == grace)
        #expect(!udp.channel.isActive)
        try await tcp.answer(reply(to: again, flags: [.qr, .rd, .ra, .ad]))
        #expect(try await task.value.flags.contains(.ad))
        #expect(up.droppedResponses == 1)
    }

    /// TC=1 over UDP: TCP at once, no time passing.
    @Test func truncatedUDPGoesToTCPAtOnce() async throws {
        let net = VirtualNetwork()
        let task = ask(net.upstream([a], timeout: .seconds(2)))
        var made = net.made.makeAsyncIterator()
        let (udp, query) = try await made.exchange()
        try await udp.answer(reply(to: query, flags: [.qr, .rd, .ra, .tc]))
        let (tcp, again) = try await made.exchange()
        #expect(tcp.tcp && tcp.atMilliseconds == 0)
        try await tcp.answer(reply(to: again))
        #expect(try await task.value.rcode == .noError)
    }

    /// Half a TCP message, then silence: at the deadline the error says how much arrived.
    @Test func partialTCPMessageAtTheDeadline() async throws {
        let net = VirtualNetwork()
        let task = ask(net.upstream([a], timeout: .milliseconds(500), tcpOnly: true))
        var made = net.made.makeAsyncIterator()
        let (tcp, query) = try await made.exchange()
        let wire = reply(to: query)
        try await tcp.channel.writeInbound(
            ByteBuffer(bytes: [UInt8(wire.count >> 8), UInt8(wire.count & 0xff)] + wire.prefix(10)))
        await net.advance(500)
        do {
            _ = try await task.value
            Issue.record("a partial message was accepted")
        } catch {
            #expect("\(error)".contains("only 12 of \(wire.count + 2) octets arrived before the deadline"), "\(error)")
        }
    }

    /// Ten queries to a silent server, four sockets at most: they are asked in waves of 4, 4 and 2, one timeout
    /// apart, and all time out.
    @Test func inFlightLimitAsksInWaves() async throws {
        let net = VirtualNetwork()
        let up = net.upstream([a], timeout: .seconds(1), maxInFlight: 4)
        let tasks = (0..<10).map { _ in ask(up) }
        var made = net.made.makeAsyncIterator()
        for (wave, size) in [4, 4, 2].enumerated() {
            for _ in 0..<size {
                let (m, _) = try await made.exchange()
                #expect(m.atMilliseconds == Int64(wave) * 1000, "wave \(wave)")
            }
            await net.advance(1000)
        }
        for task in tasks {
            await #expect(throws: TransportError.timeout(servers: [a.description])) { try await task.value }
        }
    }

    /// Cancelling a lookup ends its exchange at once and closes the channel: the result arrives although the test
    /// never moves the clock (a cancellation that waited for the deadline would hang until the time limit).
    @Test func cancellationEndsTheExchangeAtOnce() async throws {
        let net = VirtualNetwork()
        let task = ask(net.upstream([a], timeout: .seconds(10), attempts: 5))
        var made = net.made.makeAsyncIterator()
        let (m, _) = try await made.exchange()
        task.cancel()
        await #expect(throws: TransportError.cancelled) { try await task.value }
        #expect(!m.channel.isActive)
    }
}
