import DNSModel
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The real transport: asks upstream recursive resolvers over UDP, and over TCP when a UDP answer is truncated.
///
/// Every query gets a fresh socket (ephemeral port chosen by the kernel) and a random 16-bit ID. A UDP datagram is
/// accepted only when its source address and port are the server's, its ID is the query's, QR is set and its question
/// section is the query's question; anything else is dropped (counted in `droppedResponses`) and the wait goes on
/// until the deadline. The UDP socket is `connect`ed, so the kernel also filters foreign sources and an ICMP
/// "port unreachable" surfaces as a refused server at once instead of a timeout. With `cookies` (the default) every
/// query also carries a DNS Cookie and answers are checked against it (`CookieJar`, RFC 7873).
///
/// Servers are tried in order, `attempts` rounds in all; each exchange may wait up to `timeout` (a TCP retry after
/// TC=1 gets its own `timeout`). Nothing blocks a thread: all I/O runs on NIO event loops and is awaited through
/// futures; every channel is closed on every path before `query` returns.
public final class NetworkUpstream: DNSUpstream, Sendable {
    /// The upstream resolvers, in the order given (see `plan(route:)` for the order a route tries them).
    public let servers: [UpstreamAddress]
    /// How long one exchange (one UDP or TCP query to one server) may wait for its answer.
    public let timeout: Duration
    /// Rounds over all servers per query before giving up (`--retries N` + 1).
    public let attempts: Int
    /// Ask over TCP only (`--tcp`), never UDP.
    public let tcpOnly: Bool
    /// The EDNS(0) UDP payload size advertised in queries (at least 512).
    public let payloadSize: UInt16
    private let logger: Logger
    private let group: any EventLoopGroup
    private let dropped = Atomic<Int>(0)
    private let slots: AsyncSemaphore
    /// The servers in order of preference: `servers`, with any demoted for stripping DNSSEC moved to the back.
    private let preferred: Locked<[UpstreamAddress]>
    /// Queries holding a socket at once; more wait their turn (bounded descriptors and memory under load).
    public let maxInFlight: Int
    /// DNS Cookies (RFC 7873) per server; nil when disabled.
    let cookies: CookieJar?
    /// Makes the channel of one exchange: real sockets, or (in tests) channels on a virtual-time loop.
    private let channels: ChannelMaker

    /// A transport to `servers`; see the type's description for what each parameter bounds.
    public convenience init(
        servers: [UpstreamAddress], timeout: Duration = .seconds(2), attempts: Int = 2, tcpOnly: Bool = false,
        payloadSize: UInt16 = EDNS.defaultPayloadSize, maxInFlight: Int = 256, cookies: Bool = true,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) {
        // `group`: where the sockets live (default NIO's process-wide singleton); a caller's own group must stay up
        // as long as this upstream is used.
        self.init(
            servers: servers, timeout: timeout, attempts: attempts, tcpOnly: tcpOnly, payloadSize: payloadSize,
            maxInFlight: maxInFlight, cookies: cookies, group: group, channels: .sockets, logger: logger)
    }

    /// The same with the channel maker given: `.sockets` in use, a testing loop's channels in the timing tests.
    init(
        servers: [UpstreamAddress], timeout: Duration, attempts: Int, tcpOnly: Bool, payloadSize: UInt16,
        maxInFlight: Int, cookies: Bool, group: any EventLoopGroup, channels: ChannelMaker, logger: Logger
    ) {
        self.channels = channels
        self.cookies = cookies ? CookieJar() : nil
        self.maxInFlight = max(1, maxInFlight)
        self.slots = AsyncSemaphore(max(1, maxInFlight))
        self.servers = servers
        self.preferred = Locked(servers)
        self.timeout = timeout > .zero ? timeout : .seconds(2)
        self.attempts = max(1, attempts)
        self.tcpOnly = tcpOnly
        self.payloadSize = max(512, payloadSize)
        self.logger = logger
        self.group = group
    }

    /// Responses that arrived but did not match a pending query (wrong source, ID, question, QR, or undecodable).
    public var droppedResponses: Int { dropped.load(ordering: .relaxed) }

    /// Nothing to release: the event loop group (NIO's process-wide singleton unless one was given) belongs to
    /// the caller and every query closes its own channel. Kept so callers can shut down every upstream the same way.
    public func shutdown() async {}

    /// Asks `question` by route 0 (the normal order, UDP first) and returns the matching response.
    public func query(_ question: Question) async throws(TransportError) -> Message {
        try await queryKeepingWire(question).message
    }

    /// The same, with the octets the response arrived as.
    public func queryKeepingWire(_ question: Question) async throws(TransportError) -> ReceivedMessage {
        try await queryKeepingWire(question, route: 0)
    }

    /// Route 0: the servers in order of preference, UDP first. Route 1: the first of them over TCP. Route 2: the
    /// next server first, UDP first; route 3: that server over TCP; and so on round the list. A server demoted
    /// for stripping DNSSEC records goes to the back.
    public func queryKeepingWire(_ question: Question, route: Int) async throws(TransportError) -> ReceivedMessage {
        let (order, tcp) = plan(route: route)
        return try await run(question, order: order, tcp: tcp)
    }

    /// Servers in the order a route tries them, and whether it goes straight to TCP.
    func plan(route: Int) -> (order: [UpstreamAddress], tcp: Bool) {
        let order = preferred.withLock { $0 }
        guard route > 0, !order.isEmpty else { return (order, tcpOnly) }
        let k = (route / 2) % order.count
        return (Array(order[k...] + order[..<k]), tcpOnly || route % 2 == 1)
    }

    /// Two routes per server: UDP first, then TCP.
    public var routeCount: Int { 2 * servers.count }

    /// "SERVER over UDP|TCP": what `route` asks first, for reasons.
    public func describe(route: Int) -> String? {
        let (order, tcp) = plan(route: route)
        guard let first = order.first else { return nil }
        return "\(first) over \(tcp ? "TCP" : "UDP")"
    }

    /// Moves the server `route` asks first to the back of the order (it stripped DNSSEC records).
    public func demote(route: Int) -> String? {
        guard servers.count > 1, let first = plan(route: route).order.first else { return nil }
        preferred.withLock { order in
            order.removeAll { $0 == first }
            order.append(first)
        }
        logger.warning("upstream strips DNSSEC records; preferring the others", metadata: ["server": "\(first)"])
        return first.description
    }

    private func run(
        _ question: Question, order servers: [UpstreamAddress], tcp: Bool
    ) async throws(TransportError) -> ReceivedMessage {
        guard !servers.isEmpty else { throw .noUpstreams }
        let lastFailure: [UpstreamAddress: TransportError]
        switch try await firstAnswerOrFailures(
            question, servers: servers, attempts: attempts, logger: logger, label: "upstream failed",
            { server in await ask(question, server, tcp: tcp) })
        {
        case .success(let received): return received
        case .failure(let failed): lastFailure = failed.byServer
        }
        let failures = servers.compactMap { lastFailure[$0] }
        if failures.allSatisfy({ if case .network = $0 { true } else { false } }) {
            let messages = failures.map { if case .network(let m) = $0 { m } else { "" } }
            throw .network(messages.joined(separator: "; "))
        }
        if failures.contains(where: { if case .timeout = $0 { true } else { false } }) {
            var seen = Set<UpstreamAddress>()
            throw .timeout(servers: servers.filter { seen.insert($0).inserted }.map(\.description))
        }
        throw failures.last(where: { if case .network = $0 { false } else { true } }) ?? .noUpstreams
    }

    /// One server: UDP (unless `tcp`), then TCP if the UDP answer has TC=1 or was unusable.
    private func ask(
        _ question: Question, _ server: UpstreamAddress, tcp tcpOnly: Bool
    ) async -> Result<ReceivedMessage, TransportError> {
        await slots.acquire()
        defer { slots.release() }
        var udpFailure: TransportError?
        if !tcpOnly {
            var udp = await exchange(question, server, tcp: false)
            // RFC 7873 §5.3: BADCOOKIE means the server wants its cookie, which the answer just taught us: ask again.
            if cookies != nil, case .success(let r) = udp, r.message.rcode == .badCookie {
                logger.debug(
                    "BADCOOKIE; asking again with the server cookie",
                    metadata: ["server": "\(server)", "question": "\(question)"])
                udp = await exchange(question, server, tcp: false)
            }
            let retryReason: String
            switch udp {
            case .success(let r) where r.message.flags.contains(.tc):
                retryReason = "truncated UDP answer"
            case .success(let r) where cookies != nil && r.message.rcode == .badCookie:
                retryReason = "BADCOOKIE again"  // RFC 7873 §5.3: then TCP
            case .success(let r)
            where cookies?.expectsCookie(from: server) == true && !CookieJar.carriesCookie(r.message):
                // The server has sent cookies before: a UDP answer without one may be forged (or the server changed).
                retryReason = "UDP answer without the cookie this server sends"
            case .failure(.malformedResponse(let why)):
                // Only unusable datagrams came back (corrupted, cut, or not matching the query): ask over TCP.
                retryReason = "unusable UDP answer (\(why))"
                udpFailure = .malformedResponse(why)
            default:
                return udp
            }
            logger.debug(
                "\(retryReason); asking again over TCP", metadata: ["server": "\(server)", "question": "\(question)"])
        }
        let viaTCP = await exchange(question, server, tcp: true)
        if case .failure(let tcpError) = viaTCP, case .malformedResponse(let why)? = udpFailure, tcpError != .cancelled
        {
            return .failure(.malformedResponse("\(why); then over TCP: \(tcpError)"))
        }
        return viaTCP
    }

    private func noteDropped(_ reason: String, server: UpstreamAddress, tcp: Bool) {
        dropped.add(1, ordering: .relaxed)
        logger.debug(
            "dropped response",
            metadata: ["server": "\(server)", "transport": tcp ? "tcp" : "udp", "reason": "\(reason)"])
    }

    /// One query on one fresh channel, with a deadline `timeout` from now. Closes the channel before returning.
    private func exchange(
        _ question: Question, _ server: UpstreamAddress, tcp: Bool
    ) async -> Result<ReceivedMessage, TransportError> {
        var generator = SystemRandomNumberGenerator()  // getrandom(2): the kernel CSPRNG
        let id = UInt16.random(in: 0...UInt16.max, using: &generator)
        var query = Message.query(
            id: id, name: question.name, type: question.type, rrClass: question.rrClass,
            payloadSize: payloadSize)
        if let cookies { query.edns?.options = [cookies.option(for: server)] }
        let wire = query.wire(compress: false)  // one name: nothing to compress
        let matcher = ResponseMatcher(id: id, question: question, server: server, cookies: cookies)
        let loop = group.next()
        let response = loop.makePromise(of: ReceivedMessage.self)
        let channelPromise = loop.makePromise(of: Channel.self)
        let progress = TCPProgress()
        let onDrop: @Sendable (String) -> Void = { [self] reason in noteDropped(reason, server: server, tcp: tcp) }
        let wait = TimeAmount(timeout)
        // After an unusable datagram from the server, the genuine answer gets this long to follow (a forgery may
        // come first); then the exchange fails and the server is asked over TCP.
        let grace = TimeAmount(min(timeout / 4, .milliseconds(250)))

        // The deadline is set on the loop's own clock before the connection starts, so it covers the whole
        // exchange (connect included) and a virtual-time loop in the tests moves it exactly.
        let timer = loop.scheduleTask(in: wait) {
            response.fail(TransportError.timeout(servers: [server.description]))
        }
        let handler: @Sendable (Channel) throws -> Void = { channel in
            channelPromise.succeed(channel)
            let sync = channel.pipeline.syncOperations
            if tcp {
                try sync.addHandler(
                    TCPResponseHandler(matcher: matcher, promise: response, progress: progress, onDrop: onDrop))
            } else {
                try sync.addHandler(
                    UDPResponseHandler(matcher: matcher, promise: response, grace: grace, onDrop: onDrop))
            }
        }
        let sent = channels.connect(loop, server, tcp, wait, udpReadSize, handler).flatMap { channel in
            guard tcp else { return channel.writeAndFlush(channel.allocator.buffer(bytes: wire)) }
            var buffer = channel.allocator.buffer(capacity: wire.count + 2)
            buffer.writeInteger(UInt16(wire.count))
            buffer.writeBytes(wire)
            return channel.writeAndFlush(buffer)
        }
        sent.whenFailure { error in
            channelPromise.fail(error)
            if case ChannelError.connectTimeout = error {
                response.fail(TransportError.timeout(servers: [server.description]))
            } else {
                response.fail(TransportError.network("\(server) (\(tcp ? "TCP" : "UDP")): \(error)"))
            }
        }
        // Everything after the response (or the failure) happens on the loop: cancel the deadline, close the
        // channel (if one was made) and complete `finished` once it is closed. The lookup awaits only that, one
        // hop back from the loop per query.
        let finished = loop.makePromise(of: ReceivedMessage.self)
        response.futureResult.whenComplete { outcome in
            timer.cancel()
            channelPromise.futureResult.whenComplete { made in
                guard case .success(let channel) = made else { finished.completeWith(outcome); return }
                channel.close(promise: nil)
                channel.closeFuture.whenComplete { _ in finished.completeWith(outcome) }
            }
        }

        var result: Result<ReceivedMessage, TransportError>
        do {
            let received = try await withTaskCancellationHandler {
                try await finished.futureResult.get()
            } onCancel: {
                response.fail(TransportError.cancelled)
            }
            result = .success(received)
        } catch let error as TransportError {
            result = .failure(error)
        } catch {
            result = .failure(.network("\(server): \(error)"))
        }

        if tcp, case .failure(.timeout) = result, let partial = progress.describe() {
            result = .failure(.tcpFailure("\(server): \(partial) before the deadline"))
        }
        return result
    }
}

/// Makes and connects the channel of one exchange on `loop`, running `handler` (which installs the response
/// handler) on it first. `.sockets` is the real thing; the timing tests give channels on NIO's testing loop.
struct ChannelMaker: Sendable {
    /// (loop, server, tcp, connect timeout, UDP read size, handler) → the connected channel.
    let connect:
        @Sendable (
            any EventLoop, UpstreamAddress, Bool, TimeAmount, Int, @escaping @Sendable (Channel) throws -> Void
        ) -> EventLoopFuture<Channel>

    /// A fresh socket per exchange: TCP with a connect timeout, or a `connect`ed UDP socket on a kernel-chosen
    /// (randomised) ephemeral port, so the kernel drops datagrams from any other address or port.
    static let sockets = ChannelMaker { loop, server, tcp, connectTimeout, readSize, handler in
        let initializer: @Sendable (Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture { try handler(channel) }
        }
        if tcp {
            return ClientBootstrap(group: loop).connectTimeout(connectTimeout).channelInitializer(initializer)
                .connect(to: server.socketAddress)
        }
        return DatagramBootstrap(group: loop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: readSize))
            .channelInitializer(initializer)
            .connect(to: server.socketAddress)
    }
}

extension NetworkUpstream {
    /// Largest UDP datagram read: what we advertise in EDNS, with room to spare. A larger datagram arrives cut
    /// short, fails to decode and is dropped (a well-behaved server sets TC instead).
    var udpReadSize: Int { max(4096, Int(payloadSize) * 2) }
}

/// Decides whether a response belongs to the query: source, ID, QR, question and (with cookies) the COOKIE option.
struct ResponseMatcher: Sendable {
    let id: UInt16
    let question: Question
    let server: UpstreamAddress
    var cookies: CookieJar? = nil

    enum Verdict {
        case match(ReceivedMessage)
        case reject(String)
    }

    func isFromServer(_ address: SocketAddress) -> Bool {
        address.port == server.port && address.ipAddress == server.host
    }

    func check(_ bytes: [UInt8]) -> Verdict {
        let message: Message
        do { message = try Message(wire: bytes) } catch { return .reject("undecodable: \(error)") }
        guard message.flags.contains(.qr) else { return .reject("QR not set") }
        guard message.id == id else { return .reject("ID \(message.id), expected \(id)") }
        guard message.questions.count == 1, message.questions[0] == question else {
            return .reject("question \(message.questions.map(\.description)) does not match \(question)")
        }
        if let cookies, case .invalid(let reason) = cookies.check(message, from: server) { return .reject(reason) }
        return .match(ReceivedMessage(message: message, wire: bytes))
    }
}

/// How much of a TCP response has arrived, to tell "nothing" from "a partial message" at the deadline.
final class TCPProgress: Sendable {
    private let state = Locked<(received: Int, expected: Int?)>((0, nil))

    func update(received: Int, expected: Int?) { state.withLock { $0 = (received, expected) } }

    func describe() -> String? {
        state.withLock { s in
            guard s.received > 0 else { return nil }
            if let expected = s.expected { return "only \(s.received) of \(expected) octets arrived" }
            return "only \(s.received) octet of the length prefix arrived"
        }
    }
}

final class UDPResponseHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let matcher: ResponseMatcher
    private let promise: EventLoopPromise<ReceivedMessage>
    private let onDrop: @Sendable (String) -> Void
    private let grace: TimeAmount
    private var done = false
    private var graceStarted = false

    init(
        matcher: ResponseMatcher, promise: EventLoopPromise<ReceivedMessage>, grace: TimeAmount,
        onDrop: @escaping @Sendable (String) -> Void
    ) {
        self.matcher = matcher; self.promise = promise; self.grace = grace; self.onDrop = onDrop
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        let envelope = unwrapInboundIn(data)
        guard matcher.isFromServer(envelope.remoteAddress) else {
            onDrop("datagram from \(envelope.remoteAddress), not \(matcher.server)")
            return
        }
        switch matcher.check(Array(envelope.data.readableBytesView)) {
        case .match(let received):
            done = true
            promise.succeed(received)
        case .reject(let reason):
            onDrop(reason)
            // The socket is connected, so this came from the server's address: corrupted on the way, or forged.
            // The genuine answer may still follow; if none has within the grace period, give up on UDP.
            guard !graceStarted else { return }
            graceStarted = true
            let promise = self.promise, server = matcher.server
            context.eventLoop.scheduleTask(in: grace) {
                promise.fail(TransportError.malformedResponse("\(server) (UDP): \(reason)"))
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // On a connected UDP socket, ECONNREFUSED means an ICMP port unreachable came back.
        guard !done else { return }
        done = true
        promise.fail(TransportError.network("\(matcher.server) (UDP): \(error)"))
    }
}

/// Reads exactly one RFC 1035 §4.2.2 length-prefixed message, however it is split across reads.
final class TCPResponseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let matcher: ResponseMatcher
    private let promise: EventLoopPromise<ReceivedMessage>
    private let progress: TCPProgress
    private let onDrop: @Sendable (String) -> Void
    private var buffer: ByteBuffer?
    private var done = false

    init(
        matcher: ResponseMatcher, promise: EventLoopPromise<ReceivedMessage>, progress: TCPProgress,
        onDrop: @escaping @Sendable (String) -> Void
    ) {
        self.matcher = matcher; self.promise = promise; self.progress = progress; self.onDrop = onDrop
    }

    private func finish(_ result: Result<ReceivedMessage, TransportError>) {
        guard !done else { return }
        done = true
        promise.completeWith(result.mapError { $0 as Error })
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        var incoming = unwrapInboundIn(data)
        if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        guard let buffered = buffer else { return }
        let received = buffered.readableBytes
        guard let length = buffered.getInteger(at: buffered.readerIndex, as: UInt16.self) else {
            progress.update(received: received, expected: nil)
            return
        }
        guard length > 0 else {
            finish(.failure(.tcpFailure("\(matcher.server): zero length prefix")))
            return
        }
        let total = 2 + Int(length)
        progress.update(received: received, expected: total)
        guard received >= total,
            let bytes = buffered.getBytes(at: buffered.readerIndex + 2, length: Int(length))
        else { return }
        switch matcher.check(bytes) {
        case .match(let received) where received.message.flags.contains(.tc):
            // TC=1 over TCP: the answer is incomplete and there is no larger transport to retry on; returning it
            // would hand an empty, truncated answer up as if it were the response.
            finish(.failure(.malformedResponse("\(matcher.server) (TCP): truncated (TC=1) answer over TCP")))
        case .match(let received):
            finish(.success(received))
        case .reject(let reason):
            onDrop(reason)
            finish(.failure(.malformedResponse("\(matcher.server) (TCP): \(reason)")))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            let received = buffer?.readableBytes ?? 0
            finish(.failure(.tcpFailure("\(matcher.server): connection closed after \(received) octets")))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(.failure(.network("\(matcher.server) (TCP): \(error)")))
        context.close(promise: nil)
    }
}
