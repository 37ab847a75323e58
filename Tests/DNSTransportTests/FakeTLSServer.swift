import DNSModel
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

@testable import DNSTransport

/// The repository root, from this file's path (Tests/DNSTransportTests/FakeTLSServer.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Certificates made by `Scripts/tls-certs` in a fresh temporary directory, once per test process.
struct TestCertificates: Sendable {
    let directory: String
    var ca: String { directory + "/ca.pem" }
    var serverKey: String { directory + "/server.key" }
    var bundle: String { directory + "/bundle.pem" }
    var expiredBundle: String { directory + "/expired-bundle.pem" }
    var serverPin: String { read("server.pin") }
    var otherPin: String { read("other.pin") }

    private func read(_ file: String) -> String {
        ((try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)) ?? "").trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    static func shared() throws -> TestCertificates { try made.get() }

    private static let made: Result<TestCertificates, Failure> = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dot-certs-\(UUID().uuidString)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [repositoryRoot.appendingPathComponent("Scripts/tls-certs").path, dir]
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            return .failure(Failure(description: "cannot run Scripts/tls-certs: \(error)"))
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .failure(Failure(description: "Scripts/tls-certs exited \(process.terminationStatus)"))
        }
        return .success(TestCertificates(directory: dir))
    }()
}

/// A DNS-over-TLS server on 127.0.0.1 (or, with `tls: false`, a plain TCP server on the port a client takes for
/// TLS). It answers with `respond`; it can hold answers until `batch` queries have arrived on a connection and then
/// answer them in reverse order, close its first connection after `closeFirstAfter` queries without answering, and
/// offer an idle timeout (edns-tcp-keepalive, units of 100 ms). It counts accepted and closed connections and records
/// the size of every query.
final class FakeDoTServer: Sendable {
    struct Behaviour: Sendable {
        var tls = true
        var chain: String? = nil
        var batch = 1
        var closeFirstAfter: Int? = nil
        var keepalive: UInt16? = nil
    }

    final class Stats: Sendable {
        let state = Locked<(accepted: Int, closed: Int, querySizes: [Int], clearBytes: [UInt8], queries: Int)>(
            (0, 0, [], [], 0))
        var accepted: Int { state.withLock { $0.accepted } }
        var closed: Int { state.withLock { $0.closed } }
        var querySizes: [Int] { state.withLock { $0.querySizes } }
        var queries: Int { state.withLock { $0.queries } }
        /// What a plain-TCP server received.
        var clearBytes: [UInt8] { state.withLock { $0.clearBytes } }
        /// Who waits for how many connections to have closed.
        private let closeWaiters = Locked<[(count: Int, waiter: CheckedContinuation<Void, Never>)]>([])

        /// Returns once `count` connections have closed (the suite's time limit bounds a wait that never ends).
        func closed(reaching count: Int) async {
            await withCheckedContinuation { waiter in
                let ready = closeWaiters.withLock { waiters in
                    guard closed < count else { return true }
                    waiters.append((count, waiter))
                    return false
                }
                if ready { waiter.resume() }
            }
        }

        func noteClosed() {
            let ready = closeWaiters.withLock { waiters in
                let now = state.withLock { s in
                    s.closed += 1
                    return s.closed
                }
                let due = waiters.filter { $0.count <= now }.map(\.waiter)
                waiters.removeAll { $0.count <= now }
                return due
            }
            for waiter in ready { waiter.resume() }
        }
    }

    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let port: Int
    let stats: Stats

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, port: Int, stats: Stats) {
        self.group = group; self.channel = channel; self.port = port; self.stats = stats
    }

    var address: UpstreamAddress { try! UpstreamAddress(parsing: "127.0.0.1:\(port)") }

    static func start(
        _ behaviour: Behaviour = Behaviour(), respond: @escaping @Sendable (Message) -> Message
    ) async throws -> FakeDoTServer {
        let certificates = try TestCertificates.shared()
        var context: NIOSSLContext?
        if behaviour.tls {
            let chain = try NIOSSLCertificate.fromPEMFile(behaviour.chain ?? certificates.bundle).map {
                NIOSSLCertificateSource.certificate($0)
            }
            let key = try NIOSSLPrivateKey(file: certificates.serverKey, format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(key))
            context = try NIOSSLContext(configuration: configuration)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let stats = Stats()
        let firstConnection = Locked(true)
        let serverContext = context
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    let first = firstConnection.withLock { f -> Bool in
                        defer { f = false }; return f
                    }
                    stats.state.withLock { $0.accepted += 1 }
                    if let serverContext {
                        try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext))
                    }
                    try ch.pipeline.syncOperations.addHandler(
                        Handler(behaviour: behaviour, first: first, stats: stats, respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeDoTServer(group: group, channel: channel, port: channel.localAddress!.port!, stats: stats)
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        let first: Bool
        let stats: Stats
        let respond: @Sendable (Message) -> Message
        var buffer: ByteBuffer?
        var held: [Message] = []
        var received = 0

        init(behaviour: Behaviour, first: Bool, stats: Stats, respond: @escaping @Sendable (Message) -> Message) {
            self.behaviour = behaviour; self.first = first; self.stats = stats; self.respond = respond
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            if !behaviour.tls {
                stats.state.withLock { $0.clearBytes += Array(incoming.readableBytesView) }
            }
            if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
            while let b = buffer, let length = b.getInteger(at: b.readerIndex, as: UInt16.self),
                b.readableBytes >= 2 + Int(length)
            {
                let bytes = b.getBytes(at: b.readerIndex + 2, length: Int(length))!
                buffer!.moveReaderIndex(forwardBy: 2 + Int(length))
                guard let query = try? Message(wire: bytes) else { context.close(promise: nil); return }
                received += 1
                stats.state.withLock {
                    $0.querySizes.append(bytes.count); $0.queries += 1
                }
                if first, let limit = behaviour.closeFirstAfter, received >= limit {
                    context.close(promise: nil)
                    return
                }
                held.append(query)
                if held.count >= behaviour.batch {
                    for q in held.reversed() { send(respond(q), context) }
                    held = []
                    context.flush()
                }
            }
        }

        private func send(_ message: Message, _ context: ChannelHandlerContext) {
            var answer = message
            if let keepalive = behaviour.keepalive {
                answer.edns?.options.append(
                    EDNSOption(code: 11, data: [UInt8(keepalive >> 8), UInt8(keepalive & 0xff)]))
            }
            let wire = answer.wire()
            var out = context.channel.allocator.buffer(capacity: wire.count + 2)
            out.writeInteger(UInt16(wire.count))
            out.writeBytes(wire)
            context.write(wrapOutboundOut(out), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            stats.noteClosed()
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}

/// A plain answer: the question, RCODE NOERROR, one A record at the question's name.
func echoAnswer(_ query: Message) -> Message {
    var answers: [ResourceRecord] = []
    if let q = query.questions.first {
        answers = [ResourceRecord(name: q.name, type: .a, rrClass: .in, ttl: 60, rdata: [192, 0, 2, 1])]
    }
    return Message(id: query.id, flags: [.qr, .rd, .ra], questions: query.questions, answers: answers, edns: EDNS())
}
