import DNSModel
import NIOCore
import NIOEmbedded
import NIOPosix
import TestAuthority
import Testing
import Upstream

@testable import DNSTransport

/// The response handlers' timing on NIO's `EmbeddedEventLoop`: time moves only when the test says so, so the grace
/// period after an unusable datagram and the TCP reassembly are checked exactly, without waiting on a clock.
@Suite struct VirtualTimeTests {
    let server = try! UpstreamAddress(parsing: "127.0.0.1:5300")
    let question = Question(name: try! DNSName("gw.example."), type: .a)
    let id: UInt16 = 4242

    var query: Message { Message.query(id: id, name: question.name, type: question.type) }
    var from: SocketAddress { try! SocketAddress(ipAddress: "127.0.0.1", port: 5300) }

    func udpChannel(grace: TimeAmount) throws -> (EmbeddedChannel, EventLoopPromise<ReceivedMessage>, Counter) {
        let channel = EmbeddedChannel()
        let promise = channel.eventLoop.makePromise(of: ReceivedMessage.self)
        let dropped = Counter()
        let matcher = ResponseMatcher(id: id, question: question, server: server)
        try channel.pipeline.syncOperations.addHandler(
            UDPResponseHandler(matcher: matcher, promise: promise, grace: grace, onDrop: { _ in dropped.add() }))
        return (channel, promise, dropped)
    }

    func datagram(_ bytes: [UInt8], from address: SocketAddress? = nil) -> AddressedEnvelope<ByteBuffer> {
        AddressedEnvelope(remoteAddress: address ?? from, data: ByteBuffer(bytes: bytes))
    }

    /// A forged or corrupted datagram first, the genuine answer just inside the grace period: accepted.
    @Test func genuineAnswerWithinTheGraceIsAccepted() throws {
        let (channel, promise, dropped) = try udpChannel(grace: .milliseconds(75))
        let result = Outcome(promise)
        try channel.writeInbound(datagram(reply(to: query, id: id &+ 1)))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(74))
        #expect(result.value == nil)
        try channel.writeInbound(datagram(reply(to: query)))
        guard case .success(let received)? = result.value else { Issue.record("\(result)"); return }
        #expect(received.message.id == id)
        #expect(dropped.count == 1)
        // The grace timer still fires later; the promise is complete and stays a success.
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(10))
        guard case .success? = result.value else { Issue.record("overwritten: \(result)"); return }
    }

    /// Only an unusable datagram: exactly when the grace ends, the exchange fails with the reason (and the caller
    /// then asks over TCP); not a moment earlier.
    @Test func unusableAnswerFailsWhenTheGraceEnds() throws {
        let (channel, promise, _) = try udpChannel(grace: .milliseconds(75))
        let result = Outcome(promise)
        try channel.writeInbound(datagram(Array(reply(to: query).prefix(20))))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(74))
        #expect(result.value == nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        guard case .failure(let error)? = result.value, case .malformedResponse(let why)? = error as? TransportError
        else {
            Issue.record("expected malformedResponse, got \(result)")
            return
        }
        #expect(why.contains("127.0.0.1:5300 (UDP): undecodable"), "\(why)")
    }

    /// A datagram from another address never starts the grace period (the socket is connected in real use; here
    /// the check itself is exercised): only the server's own datagrams can end the wait early.
    @Test func foreignDatagramDoesNotStartTheGrace() throws {
        let (channel, promise, dropped) = try udpChannel(grace: .milliseconds(75))
        let result = Outcome(promise)
        let other = try SocketAddress(ipAddress: "127.0.0.2", port: 5300)
        try channel.writeInbound(datagram(reply(to: query), from: other))
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(result.value == nil)
        #expect(dropped.count == 1)
    }

    /// TCP: a message split across reads (even inside the length prefix) is reassembled; TC=1 over TCP fails.
    @Test(arguments: [false, true]) func tcpReassemblyAndTruncation(truncated: Bool) throws {
        let channel = EmbeddedChannel()
        let promise = channel.eventLoop.makePromise(of: ReceivedMessage.self)
        let matcher = ResponseMatcher(id: id, question: question, server: server)
        try channel.pipeline.syncOperations.addHandler(
            TCPResponseHandler(matcher: matcher, promise: promise, progress: TCPProgress(), onDrop: { _ in }))
        let result = Outcome(promise)
        let body = reply(to: query, flags: truncated ? [.qr, .rd, .ra, .tc] : [.qr, .rd, .ra])
        let framed = [UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body
        for piece in [framed.prefix(1), framed.dropFirst(1).prefix(7), framed.dropFirst(8)] {
            #expect(result.value == nil)
            try channel.writeInbound(ByteBuffer(bytes: Array(piece)))
        }
        switch result.value {
        case .success(let received)?: #expect(!truncated && received.message.id == id)
        case .failure(let error)?:
            #expect(truncated, "\(error)")
            #expect("\(error)".contains("truncated (TC=1) answer over TCP"))
        case nil: Issue.record("no outcome after the whole message")
        }
    }
}

/// The event-loop group is a parameter: a caller's own group carries the queries (the caller shuts it down once
/// the upstream is no longer used; NIO does not accept work on a group that is shut down).
@Suite struct InjectedGroupTests {
    @Test func queriesRunOnTheGivenGroup() async throws {
        let h = try await TestHierarchy.shared()
        let server = try await LoopbackServer.start(engine: h.engine)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let up = NetworkUpstream(
            servers: [try UpstreamAddress(parsing: server.address)], group: group, logger: quietLogger)
        let answer = try await up.query(Question(name: try DNSName("gw.ecdsa256.test."), type: .ipseckey))
        #expect(answer.rcode == .noError && !answer.answers.isEmpty)
        await server.stop()
        try await group.shutdownGracefully()
    }
}

/// What a promise completed with, readable from the test (the callback runs on the embedded loop, i.e. inline).
final class Outcome: Sendable, CustomStringConvertible {
    private let box = Locked<Result<ReceivedMessage, any Error>?>(nil)
    init(_ promise: EventLoopPromise<ReceivedMessage>) {
        promise.futureResult.whenComplete { [box] r in box.withLock { $0 = r } }
    }
    var value: Result<ReceivedMessage, any Error>? { box.withLock { $0 } }
    var description: String { String(describing: value) }
}
