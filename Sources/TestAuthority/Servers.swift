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

    /// Start on `host` (a loopback address) and `port` (0: an ephemeral port). `tamper`, for tests of hostile
    /// paths, sees every reply (and whether it goes over UDP) and returns what is sent instead (nil: nothing).
    public static func start(
        engine: AnswerEngine, host: String = "127.0.0.1", port: Int = 0,
        delay: Duration = .zero, tamper: Tamper? = nil
    ) async throws -> LoopbackServer {
        guard host.hasPrefix("127.") || host == "::1" else {
            throw TestAuthorityError("the test authority listens on loopback only, not \(host)")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let delayNanos =
            Int64(delay.components.seconds) * 1_000_000_000 + Int64(delay.components.attoseconds / 1_000_000_000)
        let handlerDelay = TimeAmount.nanoseconds(delayNanos)
        // With an ephemeral port, UDP picks it and TCP must get the same number; if that TCP port is taken (another
        // test's connection), start over with a new one.
        var attempt = 0
        while true {
            attempt += 1
            let udp = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelInitializer { ch in
                    ch.pipeline.addHandler(UDPHandler(engine: engine, delay: handlerDelay, tamper: tamper))
                }
                .bind(host: host, port: port).get()
            let boundPort = udp.localAddress?.port ?? port
            do {
                let tcp = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { ch in
                        ch.pipeline.addHandlers([
                            ByteToMessageHandler(LengthPrefixDecoder()),
                            TCPHandler(engine: engine, delay: handlerDelay, tamper: tamper),
                        ])
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
            buffer.readableBytes >= 2 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}

/// Changes a reply on its way out: gets the octets and whether they go over UDP, returns what is sent (nil: nothing).
public typealias Tamper = @Sendable (_ reply: [UInt8], _ udp: Bool) -> [UInt8]?

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
    let tamper: Tamper?
    init(engine: AnswerEngine, delay: TimeAmount, tamper: Tamper?) {
        self.engine = engine; self.delay = delay; self.tamper = tamper
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        guard var reply = answer(engine, bytes, udp: true) else { return }
        if let tamper { guard let changed = tamper(reply, true) else { return }; reply = changed }
        let out = AddressedEnvelope(
            remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: reply))
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
    let tamper: Tamper?
    init(engine: AnswerEngine, delay: TimeAmount, tamper: Tamper?) {
        self.engine = engine; self.delay = delay; self.tamper = tamper
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        guard var reply = answer(engine, bytes, udp: false) else { context.close(promise: nil); return }
        if let tamper {
            guard let changed = tamper(reply, false), changed.count <= Int(UInt16.max) else {
                context.close(promise: nil); return
            }
            reply = changed
        }
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

/// Hostile paths for tests: a seeded share of replies corrupted the ways a broken network or middlebox does it, or
/// DNSSEC records stripped the way some home routers do.
public enum HostilePath {
    /// Corrupts about `share` of the replies (seeded, so runs repeat): a flipped bit, a message cut short, a wrong
    /// ID, or section counts that lie. Counts what it did in `corrupted`.
    public static func corrupting(share: Double, seed: UInt64, corrupted: Counter? = nil) -> Tamper {
        let rng = Mutex(SplitMix64(seed: seed))
        return { reply, _ in
            let (roll, pick, where_) = rng.withLock { r in (r.unit(), r.next(), r.next()) }
            guard roll < share, reply.count > 12 else { return reply }
            corrupted?.add()
            var out = reply
            switch pick % 4 {
            case 0:  // one bit flipped anywhere after the ID
                let bit = Int(where_ % UInt64((out.count - 2) * 8))
                out[2 + bit / 8] ^= UInt8(1 << (bit % 8))
            case 1:  // cut short
                out = Array(out.prefix(12 + Int(where_ % UInt64(out.count - 12))))
            case 2:  // wrong ID
                out[0] ^= 0x5a
            default:  // an answer or additional count that lies
                let at = 6 + 2 * Int(where_ % 3)
                out[at + 1] &+= UInt8(1 + where_ % 7)
            }
            return out
        }
    }

    /// Removes RRSIG, NSEC and NSEC3 records from every reply.
    public static func strippingDNSSEC(asked: Counter? = nil) -> Tamper {
        { reply, _ in
            asked?.add()
            guard var m = try? Message(wire: reply) else { return reply }
            let dnssec: Set<RRType> = [.rrsig, .nsec, .nsec3]
            m.answers.removeAll { dnssec.contains($0.type) }
            m.authorities.removeAll { dnssec.contains($0.type) }
            m.additionals.removeAll { dnssec.contains($0.type) }
            return m.wire()
        }
    }
}

/// A count shared between a server's event loop and a test.
public final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    public func add() { value.add(1, ordering: .relaxed) }
    public var count: Int { value.load(ordering: .relaxed) }
}

/// A small seeded generator (SplitMix64): the same seed gives the same corruption, or the same generated test
/// input, in every run. For tests only: it is predictable by design.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
