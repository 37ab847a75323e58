import DNSCrypto
import DNSModel
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// DNS over TLS (RFC 7858) to upstream recursive resolvers, authenticated as RFC 8310's strict profile says
/// (`TLSAuthentication`): a server that cannot be authenticated is not used, and nothing is ever sent in clear text
/// instead (there is no fall-back to UDP or TCP in this type at all).
///
/// One TLS connection per server, opened on the first query and shared by every query of the process: queries are
/// pipelined on it and answers matched out of order by ID and question (RFC 7766 §6.2.1), IDs unique among the
/// queries in flight on it. Every query is padded to a multiple of 128 octets (EDNS(0) Padding, RFC 7830, with the
/// block-length policy of RFC 8467) and asks for the server's idle timeout (edns-tcp-keepalive, RFC 7828). A
/// connection with nothing in flight is closed after that timeout (or `idleTimeout` when the server offers none).
/// When the server closes a connection that still has queries in flight, they are sent again on a new one (at most
/// `maxResends` times each, within their own deadline). TLS 1.2 at least, TLS 1.3 where the server has it. No DNS
/// Cookies: the TLS session already binds answers to the connection (RFC 7873 §4 leaves them to UDP and TCP).
///
/// Servers are tried in order, `attempts` rounds in all; each query waits at most `timeout`, handshake included.
public final class TLSUpstream: DNSUpstream, Sendable {
    /// The DNS-over-TLS servers, tried in order; one connection each, opened on first use.
    public let servers: [UpstreamAddress]
    /// How every server must prove itself (RFC 8310 strict profile).
    public let authentication: TLSAuthentication
    /// How long the handshake, and each query on an open connection, may take.
    public let timeout: Duration
    /// Rounds over all servers per query before giving up.
    public let attempts: Int
    private let connections: [UpstreamAddress: DoTConnection]
    private let logger: Logger

    /// Times one query is sent again after the server closed the connection before answering.
    public static let maxResends = 2

    /// - Throws: a bad authentication name, an unreadable CA file, a CA file OpenSSL cannot load.
    public init(
        servers: [UpstreamAddress], authentication: TLSAuthentication, timeout: Duration = .seconds(2),
        attempts: Int = 2, idleTimeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) throws(TLSConfigurationError) {
        try authentication.check()
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.renegotiationSupport = .none
        if authentication.pinsOnly {
            configuration.certificateVerification = .none
            configuration.trustRoots = .certificates([])  // no CA is consulted: do not load the system's store
        } else if authentication.name != nil {
            // The chain here; the name after the handshake (`DoTFrameHandler.checkName`): NIOSSL would also accept a
            // certificate that names the server's address but not the authentication name.
            configuration.certificateVerification = .noHostnameVerification
            if let caFile = authentication.caFile { configuration.trustRoots = .file(caFile) }
        } else {
            configuration.certificateVerification = .fullVerification
            if let caFile = authentication.caFile { configuration.trustRoots = .file(caFile) }
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: configuration) } catch {
            throw TLSConfigurationError(
                "cannot set up TLS\(authentication.caFile.map { " with CA file '\($0)'" } ?? ""): \(error)")
        }
        let timeout = timeout > .zero ? timeout : .seconds(2)
        self.servers = servers
        self.authentication = authentication
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.logger = logger
        var connections: [UpstreamAddress: DoTConnection] = [:]
        for server in servers where connections[server] == nil {
            connections[server] = DoTConnection(
                server: server, loop: group.next(), context: context,
                authentication: authentication, idleTimeout: idleTimeout,
                handshakeTimeout: timeout, logger: logger)
        }
        self.connections = connections
    }

    /// TLS connections opened so far, over all servers (a handshake that failed counts too).
    public var connectionsOpened: Int { connections.values.reduce(0) { $0 + $1.opened.load(ordering: .relaxed) } }

    /// The TLS versions negotiated so far (`tlsv13`, `tlsv12`), over all servers.
    public var negotiatedTLSVersions: Set<String> {
        Set(connections.values.compactMap { $0.version.withLock { $0 } })
    }

    /// Responses that arrived on a connection but matched no query in flight (ID or question), or did not decode.
    public var droppedResponses: Int { connections.values.reduce(0) { $0 + $1.dropped.load(ordering: .relaxed) } }

    /// Closes every connection; queries still in flight fail. Later queries open new connections.
    public func shutdown() async {
        for connection in connections.values { await connection.close() }
    }

    /// Asks `question` over TLS and returns the matching response.
    public func query(_ question: Question) async throws(TransportError) -> Message {
        try await queryKeepingWire(question).message
    }

    /// The same, with the octets the response arrived as.
    public func queryKeepingWire(_ question: Question) async throws(TransportError) -> ReceivedMessage {
        guard !servers.isEmpty else { throw .noUpstreams }
        let lastFailure: [UpstreamAddress: TransportError]
        switch try await firstAnswerOrFailures(
            question, servers: servers, attempts: attempts, logger: logger, label: "TLS upstream failed",
            { server in
                guard let connection = connections[server] else { return .failure(.noUpstreams) }
                return await connection.ask(question, timeout: timeout)
            })
        {
        case .success(let received): return received
        case .failure(let failed): lastFailure = failed.byServer
        }
        var seen = Set<UpstreamAddress>()
        let failures = servers.filter { seen.insert($0).inserted }.compactMap { lastFailure[$0] }
        let tls = failures.compactMap { if case .tls(let m) = $0 { m } else { nil } }
        if !tls.isEmpty { throw .tls(tls.joined(separator: "; ")) }
        if failures.contains(where: { if case .timeout = $0 { true } else { false } }) {
            seen = []
            throw .timeout(servers: servers.filter { seen.insert($0).inserted }.map { "\($0) (TLS)" })
        }
        throw failures.last ?? .noUpstreams
    }
}

// MARK: - Queries

extension TLSUpstream {
    /// EDNS(0) option codes used over TLS.
    static let keepaliveOption: UInt16 = 11
    static let paddingOption: UInt16 = 12
    /// RFC 8467 §4.1: clients pad queries to a multiple of 128 octets.
    static let paddingBlock = 128

    /// The query for `question` with `id`: RD, CD, DO, an empty edns-tcp-keepalive option (asking the server for its
    /// idle timeout) and a Padding option that brings the message to a multiple of `paddingBlock` octets.
    static func queryWire(id: UInt16, question: Question) -> [UInt8] {
        var query = Message.query(id: id, name: question.name, type: question.type, rrClass: question.rrClass)
        let keepalive = EDNSOption(code: keepaliveOption, data: [])
        query.edns?.options = [keepalive, EDNSOption(code: paddingOption, data: [])]
        let unpadded = query.wire(compress: false).count
        let padding = (paddingBlock - unpadded % paddingBlock) % paddingBlock
        query.edns?.options = [keepalive, EDNSOption(code: paddingOption, data: [UInt8](repeating: 0, count: padding))]
        return query.wire(compress: false)
    }

    /// The idle timeout a response offers (edns-tcp-keepalive, in units of 100 ms), if any.
    static func offeredIdleTimeout(_ message: Message) -> Duration? {
        guard let option = message.edns?.options.first(where: { $0.code == keepaliveOption }), option.data.count == 2
        else { return nil }
        let units = Int(option.data[0]) << 8 | Int(option.data[1])
        return .milliseconds(units * 100)
    }
}

// MARK: - One connection

/// The TLS connection to one server and the queries in flight on it. All mutable state is confined to `loop`
/// (every method that touches it runs there), so it needs no lock; the class is `@unchecked Sendable` for that reason.
final class DoTConnection: @unchecked Sendable {
    let server: UpstreamAddress
    let loop: EventLoop
    private let context: NIOSSLContext
    private let authentication: TLSAuthentication
    private let defaultIdleTimeout: TimeAmount
    private let handshakeTimeout: TimeAmount
    private let logger: Logger
    let opened = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    /// The TLS version of the last authenticated connection.
    let version = Locked<String?>(nil)

    private final class Pending {
        let question: Question
        let wire: [UInt8]
        let promise: EventLoopPromise<ReceivedMessage>
        let timeout: TimeAmount
        var timer: Scheduled<Void>?
        var resends = 0
        init(question: Question, wire: [UInt8], promise: EventLoopPromise<ReceivedMessage>, timeout: TimeAmount) {
            self.question = question; self.wire = wire; self.promise = promise; self.timeout = timeout
        }
    }

    // Loop-confined state.
    private var channel: Channel?
    private var connecting = false
    private var ready = false
    private var generation = 0
    private var failure: TransportError?
    private var pending: [UInt16: Pending] = [:]
    private var unsent: [UInt16] = []
    private var idleTimeout: TimeAmount
    private var idleTimer: Scheduled<Void>?

    init(
        server: UpstreamAddress, loop: EventLoop, context: NIOSSLContext, authentication: TLSAuthentication,
        idleTimeout: Duration, handshakeTimeout: Duration, logger: Logger
    ) {
        self.server = server
        self.loop = loop
        self.context = context
        self.authentication = authentication
        self.defaultIdleTimeout = TimeAmount(idleTimeout)
        self.idleTimeout = TimeAmount(idleTimeout)
        self.handshakeTimeout = TimeAmount(handshakeTimeout)
        self.logger = logger
    }

    /// Sends `question` (connecting first if needed) and waits for its answer, at most `timeout`.
    func ask(_ question: Question, timeout: Duration) async -> Result<ReceivedMessage, TransportError> {
        let promise = loop.makePromise(of: ReceivedMessage.self)
        loop.execute { self.enqueue(question, promise, TimeAmount(timeout)) }
        do {
            let received = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                self.loop.execute { self.abandon(promise, with: .cancelled) }
            }
            return .success(received)
        } catch let error as TransportError {
            return .failure(error)
        } catch {
            return .failure(.network("\(server) (TLS): \(error)"))
        }
    }

    /// Closes the connection; queries in flight fail.
    func close() async {
        let closed: EventLoopFuture<Void> = loop.submit {
            let queries = self.pending
            self.pending = [:]
            self.unsent = []
            for query in queries.values {
                query.timer?.cancel()
                query.promise.fail(TransportError.network("\(self.server) (TLS): upstream shut down"))
            }
            return self.dropConnection()
        }.flatMap { $0 }
        try? await closed.get()
    }

    // MARK: Loop-confined

    private func enqueue(_ question: Question, _ promise: EventLoopPromise<ReceivedMessage>, _ timeout: TimeAmount) {
        guard let id = freshID() else {
            promise.fail(TransportError.network("\(server) (TLS): 65536 queries in flight"))
            return
        }
        let query = Pending(
            question: question, wire: TLSUpstream.queryWire(id: id, question: question),
            promise: promise, timeout: timeout)
        query.timer = loop.scheduleTask(in: timeout) { [self] in expire(id, promise) }
        pending[id] = query
        idleTimer?.cancel()
        idleTimer = nil
        if ready, let channel {
            write(id, query, on: channel)
            channel.flush()
        } else {
            unsent.append(id)
            if !connecting { connect() }
        }
    }

    /// A random ID not in flight on this connection (RFC 7766 §6.2.1.1). Bounded: a few random tries, then a scan.
    private func freshID() -> UInt16? {
        for _ in 0..<16 {
            let id = SecureRandom.uint16()
            if pending[id] == nil { return id }
        }
        let start = SecureRandom.uint16()
        for offset in 0...UInt16.max {
            let id = start &+ offset
            if pending[id] == nil { return id }
        }
        return nil
    }

    private func write(_ id: UInt16, _ query: Pending, on channel: Channel) {
        var buffer = channel.allocator.buffer(capacity: query.wire.count + 2)
        buffer.writeInteger(UInt16(query.wire.count))
        buffer.writeBytes(query.wire)
        channel.write(buffer, promise: nil)
    }

    private func connect() {
        generation += 1
        let gen = generation
        connecting = true
        ready = false
        failure = nil
        opened.add(1, ordering: .relaxed)
        let server = self.server, context = self.context, authentication = self.authentication
        logger.debug("opening TLS connection", metadata: ["server": "\(server)"])
        ClientBootstrap(group: loop)
            .connectTimeout(handshakeTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let notes = VerificationNotes()
                    let tls = try makeClientHandler(context: context, name: authentication.name, notes: notes)
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(
                        DoTFrameHandler(
                            connection: self, generation: gen, notes: notes, authentication: authentication,
                            server: server))
                }
            }
            .connect(to: server.socketAddress)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    if gen == generation && connecting { self.channel = channel } else { channel.close(promise: nil) }
                case .failure(let error):
                    let message: String
                    if case ChannelError.connectTimeout = error {
                        message = "\(server): no TCP connection within the timeout"
                    } else {
                        message = "\(server): cannot connect: \(error)"
                    }
                    handshakeFailed(gen, .network(message + " (TLS)"))
                }
            }
    }

    /// The handshake and the authentication checks succeeded: send what waits.
    func authenticated(_ gen: Int, channel: Channel, version: String) {
        guard gen == generation else { channel.close(promise: nil); return }
        logger.debug("TLS connection authenticated", metadata: ["server": "\(server)", "version": "\(version)"])
        self.version.withLock { $0 = version }
        connecting = false
        ready = true
        self.channel = channel
        let ids = unsent
        unsent = []
        for id in ids { if let query = pending[id] { write(id, query, on: channel) } }
        channel.flush()
        scheduleIdleCloseIfIdle()
    }

    /// The connection could not be set up or authenticated: every query waiting for it fails with `error` (strict
    /// profile: no other transport is tried).
    func handshakeFailed(_ gen: Int, _ error: TransportError) {
        guard gen == generation, !ready else { return }
        logger.debug("TLS connection failed", metadata: ["server": "\(server)", "error": "\(error)"])
        failure = error
        connecting = false
        let channel = self.channel
        self.channel = nil
        generation += 1
        failAll(error)
        channel?.close(promise: nil)
    }

    /// An error on an established connection (a TLS alert, a reset): the connection is closed, and
    /// `closed` sends what was in flight again.
    func connectionError(_ gen: Int, _ error: TransportError) {
        guard gen == generation else { return }
        if !ready { handshakeFailed(gen, error); return }
        logger.debug("TLS connection error", metadata: ["server": "\(server)", "error": "\(error)"])
        channel?.close(promise: nil)
    }

    /// The channel went inactive.
    func closed(_ gen: Int, reason: TransportError?) {
        guard gen == generation else { return }
        if !ready {
            handshakeFailed(
                gen,
                reason ?? .tls("\(server): connection closed during the TLS handshake (not a DNS-over-TLS server?)"))
            return
        }
        ready = false
        connecting = false
        channel = nil
        idleTimer?.cancel()
        idleTimer = nil
        idleTimeout = defaultIdleTimeout
        guard !pending.isEmpty else { return }
        // RFC 7766 §6.2.1: queries without an answer are sent again on a new connection.
        for (id, query) in pending.sorted(by: { $0.key < $1.key }) {
            if query.resends >= TLSUpstream.maxResends {
                pending[id] = nil
                query.timer?.cancel()
                query.promise.fail(
                    TransportError.tcpFailure(
                        "\(server) (TLS): connection closed \(query.resends + 1) times before the answer"))
            } else {
                query.resends += 1
                if !unsent.contains(id) { unsent.append(id) }
            }
        }
        logger.debug(
            "TLS connection closed with queries in flight; reconnecting",
            metadata: ["server": "\(server)", "queries": "\(unsent.count)"])
        if !pending.isEmpty { connect() }
    }

    /// One complete message from the server.
    func received(_ gen: Int, _ bytes: [UInt8]) {
        guard gen == generation else { return }
        let message: Message
        do { message = try Message(wire: bytes) } catch {
            drop("undecodable: \(error)")
            return
        }
        guard let query = pending[message.id] else { drop("ID \(message.id) not in flight"); return }
        guard message.flags.contains(.qr) else { drop("QR not set"); return }
        guard message.questions.count == 1, message.questions[0] == query.question else {
            drop(
                "question \(message.questions.map(\.description)) does not match \(query.question) of ID \(message.id)")
            return
        }
        pending[message.id] = nil
        unsent.removeAll { $0 == message.id }
        query.timer?.cancel()
        if let offered = TLSUpstream.offeredIdleTimeout(message) { idleTimeout = TimeAmount(offered) }
        if message.flags.contains(.tc) {
            query.promise.fail(TransportError.malformedResponse("\(server) (TLS): truncated (TC=1) answer over TLS"))
        } else {
            query.promise.succeed(ReceivedMessage(message: message, wire: bytes))
        }
        scheduleIdleCloseIfIdle()
    }

    private func drop(_ reason: String) {
        dropped.add(1, ordering: .relaxed)
        logger.debug("dropped response", metadata: ["server": "\(server)", "transport": "tls", "reason": "\(reason)"])
    }

    private func expire(_ id: UInt16, _ promise: EventLoopPromise<ReceivedMessage>) {
        guard let query = pending[id], query.promise.futureResult === promise.futureResult else { return }
        let error: TransportError
        if let failure {
            error = failure
        } else if connecting && !ready && channel != nil {
            error = .tls(
                "\(server): no TLS handshake within \(Self.describe(query.timeout)) (not a DNS-over-TLS server?)")
        } else {
            error = .timeout(servers: ["\(server) (TLS)"])
        }
        abandon(promise, with: error)
    }

    /// Removes a query (timed out, cancelled) and fails it; a connection that never completed its handshake and has
    /// nothing left to do is closed.
    private func abandon(_ promise: EventLoopPromise<ReceivedMessage>, with error: TransportError) {
        guard let (id, query) = pending.first(where: { $0.value.promise.futureResult === promise.futureResult }) else {
            return
        }
        pending[id] = nil
        unsent.removeAll { $0 == id }
        query.timer?.cancel()
        query.promise.fail(error)
        if pending.isEmpty && !ready && connecting {
            _ = dropConnection()
        } else {
            scheduleIdleCloseIfIdle()
        }
    }

    private func failAll(_ error: TransportError) {
        let queries = pending
        pending = [:]
        unsent = []
        for query in queries.values {
            query.timer?.cancel()
            query.promise.fail(error)
        }
    }

    private func scheduleIdleCloseIfIdle() {
        guard ready, pending.isEmpty, idleTimer == nil else { return }
        let gen = generation
        idleTimer = loop.scheduleTask(in: idleTimeout) { [self] in
            guard gen == generation, pending.isEmpty else { return }
            logger.debug("closing idle TLS connection", metadata: ["server": "\(server)"])
            _ = dropConnection()
        }
    }

    /// Forgets the current connection (its late events are ignored) and closes it.
    private func dropConnection() -> EventLoopFuture<Void> {
        generation += 1
        ready = false
        connecting = false
        idleTimer?.cancel()
        idleTimer = nil
        idleTimeout = defaultIdleTimeout
        guard let channel else { return loop.makeSucceededVoidFuture() }
        self.channel = nil
        return channel.close().recover { _ in }
    }

    static func describe(_ amount: TimeAmount) -> String {
        let ms = amount.nanoseconds / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }
}

// MARK: - Certificate checks

/// What the certificate-chain verification saw, for a reason that says what failed (expired, not yet valid, not
/// chaining to a trusted CA). Confined to the channel's event loop.
final class VerificationNotes {
    var problem: String?
}

/// The client handler; with chain verification, a callback that records why a certificate failed without changing
/// the outcome of BoringSSL's verification.
private func makeClientHandler(
    context: NIOSSLContext, name: String?, notes: VerificationNotes
) throws -> NIOSSLClientHandler {
    let sni = name.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
    return try LegacyVerification.handler(context: context, serverHostname: sni) { result, certificate in
        if result == .failed, notes.problem == nil {
            notes.problem = VerificationNotes.describe(certificate)
        }
        return result
    }
}

extension VerificationNotes {
    /// Why BoringSSL may have rejected `certificate`: its validity period, else the chain.
    static func describe(_ certificate: NIOSSLCertificate) -> String {
        let now = time(nil)
        if certificate.notValidAfter < now {
            return
                "certificate expired: a certificate of the server's chain was valid until "
                + "\(isoTime(certificate.notValidAfter))"
        }
        if certificate.notValidBefore > now {
            return
                "certificate not yet valid: a certificate of the server's chain is valid from "
                + "\(isoTime(certificate.notValidBefore))"
        }
        return "certificate not trusted: the server's certificate does not chain to a trusted CA"
    }

    static func isoTime(_ t: time_t) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }
}

/// NIOSSL's per-certificate verification callback is deprecated in favour of callbacks that *replace* its
/// verification; this one only observes it. Reached through a protocol so that the deprecation is stated once, here.
private protocol ClientHandlerMaking {
    func handler(
        context: NIOSSLContext, serverHostname: String?,
        callback: @escaping NIOSSLVerificationCallback
    ) throws -> NIOSSLClientHandler
}

private struct LegacyVerification: ClientHandlerMaking {
    @available(*, deprecated, message: "observes BoringSSL's verification without replacing it")
    func handler(
        context: NIOSSLContext, serverHostname: String?,
        callback: @escaping NIOSSLVerificationCallback
    ) throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: context, serverHostname: serverHostname, verificationCallback: callback)
    }

    static func handler(
        context: NIOSSLContext, serverHostname: String?,
        callback: @escaping NIOSSLVerificationCallback
    ) throws -> NIOSSLClientHandler {
        let maker: any ClientHandlerMaking = LegacyVerification()
        return try maker.handler(context: context, serverHostname: serverHostname, callback: callback)
    }
}

// MARK: - The channel handler

/// Frames (RFC 1035 §4.2.2 length prefix) in both directions, checks the pins once the handshake is done, and hands
/// every complete message to the connection.
final class DoTFrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let connection: DoTConnection
    private let generation: Int
    private let notes: VerificationNotes
    private let authentication: TLSAuthentication
    private let server: UpstreamAddress
    private var buffer: ByteBuffer?
    private var handshakeDone = false
    private var error: TransportError?

    init(
        connection: DoTConnection, generation: Int, notes: VerificationNotes, authentication: TLSAuthentication,
        server: UpstreamAddress
    ) {
        self.connection = connection; self.generation = generation; self.notes = notes
        self.authentication = authentication; self.server = server
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
            if let name = authentication.name {
                guard let certificate = tls?.peerCertificate else {
                    fail(context, .tls("\(server): certificate name check failed: no server certificate"))
                    return
                }
                let names = Self.dnsNames(certificate)
                guard names.contains(where: { Self.matches(pattern: $0, name: name) }) else {
                    let has = names.isEmpty ? "no DNS name" : names.joined(separator: ", ")
                    fail(
                        context,
                        .tls(
                            "\(server): certificate name mismatch: the certificate does not name \(name) (it names "
                                + "\(has))"
                        ))
                    return
                }
            }
            if !authentication.pins.isEmpty {
                guard let certificate = tls?.peerCertificate,
                    let spki = try? certificate.extractPublicKey().toSPKIBytes()
                else {
                    fail(context, .tls("\(server): SPKI pin check failed: no server certificate"))
                    return
                }
                let pin = SPKIPin.of(spki: spki)
                guard authentication.pins.contains(pin) else {
                    fail(
                        context,
                        .tls(
                            "\(server): SPKI pin mismatch: the server's key is \(pin), not one of the "
                                + "\(authentication.pins.count) configured "
                                + "pin\(authentication.pins.count == 1 ? "" : "s")"
                        ))
                    return
                }
            }
            handshakeDone = true
            let version = tls?.tlsVersion.map { "\($0)" } ?? "unknown"
            connection.authenticated(generation, channel: context.channel, version: version)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func fail(_ context: ChannelHandlerContext, _ error: TransportError) {
        if self.error == nil { self.error = error }
        connection.handshakeFailed(generation, error)
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard handshakeDone else { return }
        var incoming = unwrapInboundIn(data)
        if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        // Bounded: every round consumes a whole message from what has arrived.
        while var buffered = buffer, let length = buffered.getInteger(at: buffered.readerIndex, as: UInt16.self),
            buffered.readableBytes >= 2 + Int(length)
        {
            buffered.moveReaderIndex(forwardBy: 2)
            let bytes = buffered.readBytes(length: Int(length)) ?? []
            buffer = buffered.readableBytes > 0 ? buffered : nil
            if length == 0 {
                connection.connectionError(generation, .tcpFailure("\(server) (TLS): zero length prefix"))
                return
            }
            connection.received(generation, bytes)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let described = describe(error)
        if self.error == nil { self.error = described }
        if handshakeDone {
            connection.connectionError(generation, described)
        } else {
            connection.handshakeFailed(generation, described)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.closed(generation, reason: error)
        context.fireChannelInactive()
    }

    /// The subjectAltName DNS entries of a certificate (RFC 6125 §6.4.4: the common name is not consulted).
    static func dnsNames(_ certificate: NIOSSLCertificate) -> [String] {
        certificate._subjectAlternativeNames().compactMap { entry in
            entry.nameType == .dnsName ? String(decoding: Array(entry.contents), as: UTF8.self) : nil
        }
    }

    /// RFC 6125 §6.4: case-insensitive, a trailing dot ignored, a `*` only as the whole leftmost label and matching
    /// exactly one label.
    static func matches(pattern: String, name: String) -> Bool {
        func labels(_ s: String) -> [Substring] {
            let lower = s.lowercased()
            return (lower.hasSuffix(".") ? String(lower.dropLast()) : lower).split(
                separator: ".", omittingEmptySubsequences: false)
        }
        let p = labels(pattern), n = labels(name)
        guard p.count == n.count, !p.isEmpty, !p.contains(where: \.isEmpty) else { return false }
        if p[0] == "*" { return p.count > 2 && p.dropFirst().elementsEqual(n.dropFirst()) }
        return p == n
    }

    /// A reason that names what failed.
    private func describe(_ error: Error) -> TransportError {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            if let name = authentication.name {
                return .tls("\(server): certificate name mismatch: the certificate does not name \(name)")
            }
            return .tls(
                "\(server): certificate name mismatch: the certificate does not name the address \(server.host) "
                    + "(give the name with --tls-name)"
            )
        }
        if let sslError = error as? NIOSSLError {
            switch sslError {
            case .handshakeFailed(let inner):
                if let problem = notes.problem { return .tls("\(server): \(problem)") }
                return .tls("\(server): TLS handshake failed: \(inner)")
            case .uncleanShutdown:
                if !handshakeDone {
                    return .tls("\(server): connection closed during the TLS handshake (not a DNS-over-TLS server?)")
                }
                return .tcpFailure("\(server) (TLS): connection closed without close_notify")
            default:
                return .tls("\(server): \(sslError)")
            }
        }
        if let problem = notes.problem, !handshakeDone { return .tls("\(server): \(problem)") }
        return handshakeDone ? .network("\(server) (TLS): \(error)") : .tls("\(server): TLS handshake failed: \(error)")
    }
}
