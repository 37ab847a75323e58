import DNSModel
import DNSSECValidator
import DNSTransport
import Foundation
import IPSecKeyResolver
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

// DNS over TLS against real unbound instances (Scripts/dot-unbound) in front of the testbed's nsd hierarchy: the
// case table over TLS, authentication by name with a CA and by pin, each failure with its own reason, nothing in
// clear text, many lookups over one connection.

/// The parsed DIR/dot.env of `Scripts/dot-unbound DIR`.
struct DoTEnvironment: Sendable {
    var good: String, expired: String, plain: String, clear: String, name: String, ca: String, pin: String,
        otherPin: String

    static func parse(file: String) throws -> DoTEnvironment {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var v: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            v[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        func need(_ key: String) throws -> String {
            guard let value = v[key], !value.isEmpty else {
                throw ProcessLaunchError(description: "\(file) has no \(key)")
            }
            return value
        }
        return DoTEnvironment(
            good: try need("DOT_GOOD"), expired: try need("DOT_EXPIRED"), plain: try need("DOT_PLAIN"),
            clear: try need("DOT_CLEAR"), name: try need("DOT_NAME"), ca: try need("DOT_CA"),
            pin: try need("DOT_PIN"), otherPin: try need("DOT_OTHER_PIN"))
    }
}

/// Listens on an address's clear-text DNS port (UDP and TCP) without ever answering; `anythingArrived` tells whether
/// a datagram or a connection came in.
final class ClearTextWatch {
    private let udp: Int32
    private let tcp: Int32
    let address: String

    init(host: String, port: UInt16) throws {
        address = "\(host):\(port)"
        func bound(_ type: Int32) throws -> Int32 {
            let fd = socket(AF_INET, type, 0)
            guard fd >= 0 else { throw ProcessLaunchError(description: "socket: \(errno)") }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &sin.sin_addr)
            let rc = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard rc == 0 else {
                close(fd); throw ProcessLaunchError(description: "bind \(host):\(port): errno \(errno)")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            return fd
        }
        udp = try bound(Int32(SOCK_DGRAM.rawValue))
        tcp = try bound(Int32(SOCK_STREAM.rawValue))
        guard listen(tcp, 16) == 0 else { throw ProcessLaunchError(description: "listen: errno \(errno)") }
    }

    var anythingArrived: Bool {
        var byte: UInt8 = 0
        let datagram = recv(udp, &byte, 1, Int32(MSG_PEEK)) >= 0
        let connection = accept(tcp, nil, nil)
        if connection >= 0 { close(connection) }
        return datagram || connection >= 0
    }

    deinit {
        close(udp)
        close(tcp)
    }
}

enum DoTServers {
    /// Scripts/dot-unbound in the running testbed's directory, once.
    private static let started = Locked<Task<DoTEnvironment, any Error>?>(nil)

    static func environment(_ testbed: TestbedEnvironment) async throws -> DoTEnvironment {
        let task = started.withLock { t -> Task<DoTEnvironment, any Error> in
            if let t { return t }
            let fresh = Task {
                let script = repositoryRoot.appendingPathComponent("Scripts/dot-unbound").path
                let result = try await runProcess("/bin/bash", [script, testbed.directory], timeout: .seconds(60))
                guard result.status == 0 else {
                    throw ProcessLaunchError(description: "Scripts/dot-unbound failed:\n\(result)")
                }
                return try DoTEnvironment.parse(file: testbed.directory + "/dot.env")
            }
            t = fresh
            return fresh
        }
        return try await task.value
    }
}

extension IntegrationTests {
    /// Serialized: `dotOneConnection` counts the connections established at the server.
    @Suite("DNS over TLS to unbound", .serialized)
    struct DoT {
        private func dot() async throws -> (TestbedEnvironment, DoTEnvironment) {
            let testbed = try #require(Testbed.current, "the testbed trait did not provide a running testbed")
            return (testbed, try await DoTServers.environment(testbed))
        }

        @Test("DNS over TLS (name + CA) to unbound: exit codes match the case table", arguments: TestbedCases.all)
        func dotCaseTable(_ testCase: TestbedCase) async throws {
            let (testbed, dot) = try await dot()
            let result = try await CLI.run([
                "--server", "tls://\(dot.good)", "--tls-name", dot.name, "--tls-ca", dot.ca,
                "--trust-anchor", testbed.anchor, "--type", testCase.type, testCase.name,
            ])
            #expect(result.status == testCase.expected.exitCode, "\(result)")
            if testCase.expected == .secure { #expect(ipseckeyRecordCount(result.stdout) > 0, "\(result)") }
        }

        @Test("DNS over TLS: by pin, and every authentication failure with its own reason, nothing in clear text")
        func dotAuthentication() async throws {
            let (testbed, dot) = try await dot()
            let clearHost = String(dot.clear.split(separator: ":")[0])
            let watch = try ClearTextWatch(host: clearHost, port: 53)
            let base = ["--trust-anchor", testbed.anchor, "--timeout", "2", "--retries", "1", "host.sec.tb."]

            let byPin = try await CLI.run(
                ["--server", "tls://\(dot.good)", "--tls-pin", dot.otherPin, "--tls-pin", dot.pin] + base)
            #expect(byPin.status == 0 && ipseckeyRecordCount(byPin.stdout) > 0, "\(byPin)")
            let byAddress = try await CLI.run(["--server", "tls://\(dot.good):853", "--tls-ca", dot.ca] + base)
            #expect(byAddress.status == 0, "the certificate names the address too\n\(byAddress)")

            let failures: [(String, [String], String)] = [
                ("wrong pin", ["--server", "tls://\(dot.good)", "--tls-pin", dot.otherPin], "SPKI pin mismatch"),
                (
                    "wrong name", ["--server", "tls://\(dot.good)", "--tls-name", "wrong.test", "--tls-ca", dot.ca],
                    "certificate name mismatch"
                ),
                ("untrusted CA", ["--server", "tls://\(dot.good)", "--tls-name", dot.name], "certificate not trusted"),
                (
                    "expired certificate",
                    ["--server", "tls://\(dot.expired)", "--tls-name", dot.name, "--tls-ca", dot.ca],
                    "certificate expired"
                ),
                (
                    "plain DNS on port 853",
                    ["--server", "tls://\(dot.plain)", "--tls-name", dot.name, "--tls-ca", dot.ca], "TLS handshake"
                ),
            ]
            for (what, options, reason) in failures {
                let result = try await CLI.run(options + base)
                #expect(result.status == 4, "\(what): expected indeterminate\n\(result)")
                #expect(result.stderr.contains(reason), "\(what): expected '\(reason)'\n\(result)")
                #expect(result.stdout.isEmpty, "\(what)\n\(result)")
            }
            #expect(!watch.anythingArrived, "something arrived in clear text on \(watch.address)")
            // The watch itself works: a clear-text query to that port is seen.
            let probe = try await runProcess(
                "/usr/bin/dig", ["+tries=1", "+time=1", "-p", "53", "@\(clearHost)", "host.sec.tb.", "IPSECKEY"])
            #expect(probe.status != 0, "nothing answers there: \(probe)")
            #expect(watch.anythingArrived, "the watch on \(watch.address) saw dig's query")
        }

        @Test("DNS over TLS: many lookups through unbound share one connection")
        func dotOneConnection() async throws {
            let (testbed, dot) = try await dot()
            let server = try UpstreamAddress(parsingTLS: "tls://\(dot.good)")
            let upstream = try TLSUpstream(
                servers: [server], authentication: TLSAuthentication(name: dot.name, caFile: dot.ca),
                timeout: .seconds(5), attempts: 2, logger: Logger(label: "dot"))
            let anchors = try TrustAnchors.load(path: testbed.anchor)
            let resolver = Resolver(upstream: upstream, anchors: anchors, logger: Logger(label: "dot"))
            let names = (0..<60).map { "n\($0).wild.sec.tb." }
            let secure = try await withThrowingTaskGroup(of: Bool.self) { group in
                for name in names {
                    group.addTask {
                        (try? await resolver.resolveAuthenticated(name: try DNSName(name)))?.isEmpty == false
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(secure == names.count)
            #expect(upstream.connectionsOpened == 1)
            // The server's side, from the kernel: connections established to the DoT port of this unbound.
            let ss = try await runProcess("/usr/bin/ss", ["-Htn", "state", "established", "src", "\(dot.good):853"])
            let established = ss.stdout.split(separator: "\n").filter { !$0.isEmpty }.count
            #expect(ss.status == 0 && established == 1, "\(ss)")
            await upstream.shutdown()
        }
    }
}
