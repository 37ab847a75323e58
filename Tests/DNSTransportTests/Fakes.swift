import DNSModel
import Logging
import NIOCore
import NIOPosix
import Synchronization

@testable import DNSTransport

/// A logger that drops everything (the transport logs drops at debug level).
let quietLogger = Logger(label: "dns-transport-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A well-formed response to `query` with the given tweaks, as wire octets.
func reply(
    to query: Message, id: UInt16? = nil, question: Question? = nil, flags: HeaderFlags = [.qr, .rd, .ra],
    answers: [ResourceRecord] = []
) -> [UInt8] {
    Message(
        id: id ?? query.id, flags: flags, questions: question.map { [$0] } ?? query.questions, answers: answers,
        edns: EDNS()
    ).wire()
}

/// A hostile UDP server on 127.0.0.1 (ephemeral port): for each query it sends the datagrams `respond` returns,
/// in order, from its own socket or (`fromOtherPort`) from a second socket on another port.
final class FakeUDPServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let port: Int
    private let counter: Counter
    /// How many decodable queries arrived.
    var queryCount: Int { counter.count.load(ordering: .relaxed) }

    fileprivate init(group: MultiThreadedEventLoopGroup, channel: Channel, port: Int, counter: Counter) {
        self.group = group; self.channel = channel; self.port = port; self.counter = counter
    }

    static func start(
        host: String = "127.0.0.1", port: Int = 0, fromOtherPort: Bool = false,
        respond: @escaping @Sendable (Message) -> [[UInt8]]
    ) async throws -> FakeUDPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let sender: Channel? =
            fromOtherPort
            ? try await DatagramBootstrap(group: group).bind(host: host, port: 0).get() : nil
        let counter = Counter()
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(
                        FakeUDPHandler(respond: respond, sender: sender, counter: counter))
                }
            }
            .bind(host: host, port: port).get()
        return FakeUDPServer(group: group, channel: channel, port: channel.localAddress!.port!, counter: counter)
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    fileprivate final class Counter: Sendable {
        let count = Atomic<Int>(0)
        func note() { count.add(1, ordering: .relaxed) }
    }

    fileprivate final class FakeUDPHandler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let respond: @Sendable (Message) -> [[UInt8]]
        let sender: Channel?
        let counter: Counter
        init(respond: @escaping @Sendable (Message) -> [[UInt8]], sender: Channel?, counter: Counter) {
            self.respond = respond; self.sender = sender; self.counter = counter
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let query = try? Message(wire: Array(envelope.data.readableBytesView)) else { return }
            counter.note()
            for datagram in respond(query) {
                let out = AddressedEnvelope(
                    remoteAddress: envelope.remoteAddress,
                    data: context.channel.allocator.buffer(bytes: datagram))
                if let sender {
                    sender.writeAndFlush(out, promise: nil)
                } else {
                    context.write(wrapOutboundOut(out), promise: nil)
                }
            }
            context.flush()
        }
    }
}

/// A hostile TCP server on 127.0.0.1: on each complete length-prefixed query it writes the octets `respond` returns
/// (raw: the length prefix is the test's business) and keeps the connection open, or with `closeAfterReply` closes
/// it once the first reply is written.
final class FakeTCPServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let port: Int

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, port: Int) {
        self.group = group; self.channel = channel; self.port = port
    }

    static func start(
        host: String = "127.0.0.1", port: Int = 0, closeAfterReply: Bool = false,
        respond: @escaping @Sendable (Message) -> [UInt8]
    ) async throws -> FakeTCPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(
                        FakeTCPHandler(respond: respond, closeAfterReply: closeAfterReply))
                }
            }
            .bind(host: host, port: port).get()
        return FakeTCPServer(group: group, channel: channel, port: channel.localAddress!.port!)
    }

    /// Closes the listener and every accepted connection.
    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    fileprivate final class FakeTCPHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let respond: @Sendable (Message) -> [UInt8]
        let closeAfterReply: Bool
        var pending: ByteBuffer?
        init(respond: @escaping @Sendable (Message) -> [UInt8], closeAfterReply: Bool) {
            self.respond = respond; self.closeAfterReply = closeAfterReply
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            if pending == nil { pending = incoming } else { pending!.writeBuffer(&incoming) }
            while let buffer = pending, let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
                buffer.readableBytes >= 2 + Int(length)
            {
                let bytes = buffer.getBytes(at: buffer.readerIndex + 2, length: Int(length))!
                pending!.moveReaderIndex(forwardBy: 2 + Int(length))
                guard let query = try? Message(wire: bytes) else { context.close(promise: nil); return }
                let reply = context.writeAndFlush(
                    wrapOutboundOut(context.channel.allocator.buffer(bytes: respond(query))))
                if closeAfterReply {
                    let channel = context.channel
                    reply.whenComplete { _ in channel.close(promise: nil) }
                    pending = nil
                    return
                }
            }
        }
    }
}

/// A loopback port with nothing listening on it (UDP or TCP): bound, read, released.
func unusedPort(host: String = "127.0.0.1") async throws -> Int {
    let group = MultiThreadedEventLoopGroup.singleton
    let udp = try await DatagramBootstrap(group: group).bind(host: host, port: 0).get()
    let port = udp.localAddress!.port!
    try await udp.close()
    return port
}

func address(_ host: String, _ port: Int) throws -> UpstreamAddress {
    try UpstreamAddress(parsing: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
}

func dn(_ text: String) throws -> DNSName { try DNSName(text) }
