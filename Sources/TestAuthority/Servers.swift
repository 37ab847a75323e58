import DNSCrypto
import DNSModel
import DNSTransport
import NIOCore
import NIOPosix
import Synchronization

/// Answers straight from the engine, in process: the fastest upstream for validator tests. Counts queries so tests
/// can check caching and coalescing, and can hold every answer for a fixed delay.
public final class InProcessUpstream: DNSUpstream {
    public let engine: AnswerEngine
    public let delay: Duration
    private let counter = Locked<[Question: Int]>([:])

    public init(engine: AnswerEngine, delay: Duration = .zero) {
        self.engine = engine
        self.delay = delay
    }

    /// How many queries were asked in all, and per question.
    public var queryCount: Int { counter.withLock { $0.values.reduce(0, +) } }
    public func count(for q: Question) -> Int { counter.withLock { $0[q] ?? 0 } }

    public func query(_ question: Question) async throws(TransportError) -> Message {
        counter.withLock { $0[question, default: 0] += 1 }
        if delay > .zero {
            do { try await Task.sleep(for: delay) } catch { throw .cancelled }
        }
        let id = SecureRandom.uint16()
        let q = Message.query(id: id, name: question.name, type: question.type)
        let wire = engine.respond(to: q).wire()
        do { return try Message(wire: wire) } catch { throw .malformedResponse("\(error)") }
    }
}

/// The test authority on real sockets: UDP and TCP on one loopback address and port, like a recursive resolver.
/// UDP answers larger than the client's EDNS size (512 without EDNS) are truncated with TC=1.
public final class LoopbackServer: Sendable {
    public let host: String
    public let port: Int
    private let udp: Channel
    private let tcp: Channel
    private let group: MultiThreadedEventLoopGroup
    private let served = Atomic<Int>(0)

    /// Start on `host` (a loopback address) and `port` (0: an ephemeral port).
    public static func start(engine: AnswerEngine, host: String = "127.0.0.1", port: Int = 0,
                             delay: Duration = .zero) async throws -> LoopbackServer {
        guard host.hasPrefix("127.") || host == "::1" else {
            throw TestAuthorityError("the test authority listens on loopback only, not \(host)")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let delayNanos = Int64(delay.components.seconds) * 1_000_000_000 + Int64(delay.components.attoseconds / 1_000_000_000)
        let handlerDelay = TimeAmount.nanoseconds(delayNanos)
        // With an ephemeral port, UDP picks it and TCP must get the same number; if that TCP port is taken (another
        // test's connection), start over with a new one.
        var attempt = 0
        while true {
            attempt += 1
            let udp = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelInitializer { ch in ch.pipeline.addHandler(UDPHandler(engine: engine, delay: handlerDelay)) }
                .bind(host: host, port: port).get()
            let boundPort = udp.localAddress?.port ?? port
            do {
                let tcp = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { ch in
                        ch.pipeline.addHandlers([ByteToMessageHandler(LengthPrefixDecoder()),
                                                 TCPHandler(engine: engine, delay: handlerDelay)])
                    }
                    .bind(host: host, port: boundPort).get()
                return LoopbackServer(host: host, port: boundPort, udp: udp, tcp: tcp, group: group)
            } catch {
                try? await udp.close()
                if port != 0 || attempt >= 20 {
                    try? await group.shutdownGracefully()
                    throw error
                }
            }
        }
    }

    private init(host: String, port: Int, udp: Channel, tcp: Channel, group: MultiThreadedEventLoopGroup) {
        self.host = host; self.port = port; self.udp = udp; self.tcp = tcp; self.group = group
    }

    /// `HOST:PORT` (IPv6 in brackets), as `--server` takes it.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public func stop() async {
        try? await udp.close()
        try? await tcp.close()
        try? await group.shutdownGracefully()
    }
}

/// Reads one RFC 1035 §4.2.2 two-octet length-prefixed message at a time.
struct LengthPrefixDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              buffer.readableBytes >= 2 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

func answer(_ engine: AnswerEngine, _ bytes: [UInt8], udp: Bool) -> [UInt8]? {
    guard let query = try? Message(wire: bytes), !query.flags.contains(.qr) else { return nil }
    let response = engine.respond(to: query)
    guard udp else { return response.wire() }
    let limit = max(512, Int(query.edns?.udpPayloadSize ?? 512))
    return response.wire(truncatingTo: limit)
}

final class UDPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let engine: AnswerEngine
    let delay: TimeAmount
    init(engine: AnswerEngine, delay: TimeAmount) { self.engine = engine; self.delay = delay }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        guard let reply = answer(engine, bytes, udp: true) else { return }
        let out = AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: reply))
        let channel = context.channel
        if delay > .zero {
            context.eventLoop.scheduleTask(in: delay) { channel.writeAndFlush(out, promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }
}

final class TCPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let engine: AnswerEngine
    let delay: TimeAmount
    init(engine: AnswerEngine, delay: TimeAmount) { self.engine = engine; self.delay = delay }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        guard let reply = answer(engine, bytes, udp: false) else { context.close(promise: nil); return }
        var buffer = context.channel.allocator.buffer(capacity: reply.count + 2)
        buffer.writeInteger(UInt16(reply.count))
        buffer.writeBytes(reply)
        let channel = context.channel
        if delay > .zero {
            let framed = buffer
            context.eventLoop.scheduleTask(in: delay) { channel.writeAndFlush(framed, promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
    }
}
