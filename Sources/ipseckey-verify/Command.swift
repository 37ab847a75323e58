import ArgumentParser
import Foundation
import IPSecKeyResolver

// Swift Concurrency's default executor runs the lookups; NIO's event loops run the sockets. Moving the lookups
// onto the event loops (NIO's global-executor hook, or a per-task executor preference) was measured slower on two
// cores; see Docs/Architecture.md.
@main
struct IPSecKeyVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipseckey-verify",
        abstract: "Fetch IPSECKEY records (RFC 4025) and accept them only when DNSSEC proves them authentic.",
        discussion: """
            ipseckey-verify asks a recursive resolver (default: the nameserver lines of /etc/resolv.conf) with DO=1 and
            CD=1, validates the RRSIG/DNSKEY/DS chain itself from a trust anchor (default: the IANA root KSKs bundled
            with this program), and prints the records only when the whole chain is secure. An ADDRESS is looked up
            through its reverse name (in-addr.arpa. / ip6.arpa.), the way opportunistic IPsec does.

            EXIT CODES (with several names: the highest)
              0   secure: authenticated records printed
              1   authenticated denial: the name or the type provably does not exist
              2   insecure: the answer is provably unsigned, rejected
              3   bogus: validation failed, rejected
              4   indeterminate: no usable answer (timeout, unreachable upstream, SERVFAIL, no trust anchor)
              5   secure, but no record has the gateway --expect-gateway names
              6   secure, but no key can be exported (algorithm 0 or unassigned, DSA, RSA under 2048 bits; with
                  --format libreswan also keys libreswan cannot load)
              64  usage error    65  malformed input data (e.g. a bad trust-anchor file)
              66  an input file cannot be opened    70  internal error    73  a key file cannot be written
              74  standard output cannot be written (e.g. a full disk): one line on stderr
              130/143  batch stopped by SIGINT/SIGTERM (results complete so far are written)
              141 the reader of standard output went away (e.g. | head): stopped quietly

            EXAMPLES
              ipseckey-verify gw.example.net
              ipseckey-verify --server 192.0.2.53 --server '[2001:db8::53]:5353' 192.0.2.38
              ipseckey-verify --format libreswan --quiet gw.example.net && echo trusted
              ipseckey-verify --json --trace gw.example.net | jq .verdict
              ipseckey-verify --type DNSKEY --trace example.net.
              ipseckey-verify --trust-anchor my-island.ds --validation-time 20261101000000 gw.island.example
              ipseckey-verify --batch names.txt --concurrency 64 --json
              ipseckey-verify --write-pubkey /etc/swanctl/pubkey --format swanctl --expect-gateway 192.0.2.38 \
              gw.example.net
              ipseckey-verify record --help                 # from a PEM public key to the IPSECKEY record
              ipseckey-verify record --precedence 10 --gateway 192.0.2.38 --name gw.example.net. key.pem
            """,
        version: IPSecKeyVerify.versionString
    )

    static let versionString = "ipseckey-verify 0.1.0"

    /// The entry point: `record` by hand, then the root command.
    static func main() async {
        // A reader that goes away shows up as EPIPE on the next write (exit 141, quietly), not as a signal.
        signal(SIGPIPE, SIG_IGN)
        // `record` is dispatched by hand: the root's NAME arguments would swallow a declared subcommand's name.
        if CommandLine.arguments.dropFirst().first == "record" {
            RecordCommand.main(Array(CommandLine.arguments.dropFirst(2)))
            return
        }
        do {
            var command = try parseAsRoot()
            if let verify = command as? IPSecKeyVerify {
                try await verify.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// Each target parsed once, here, into the value validation, the lookup and the output share.
    @Argument(
        help: ArgumentHelp("Names or IPv4/IPv6 addresses to look up.", valueName: "NAME|ADDRESS"),
        transform: { text throws(LookupTargetError) in Target(text: text, target: try LookupTarget(parsing: text)) })
    var targets: [Target] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Upstream resolver as HOST[:PORT], IPv6 as [ADDR]:PORT, or tls://HOST[:PORT] for DNS over TLS (port 853 "
                + "by default) (repeatable; default: /etc/resolv.conf).",
            valueName: "HOST[:PORT]"))
    var server: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "DNS over TLS: the name the server's certificate must carry (also sent as SNI).", valueName: "NAME"))
    var tlsName: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "DNS over TLS: SPKI pin of the server's key, sha256:BASE64 (repeatable: current and next key).",
            valueName: "sha256:BASE64"))
    var tlsPin: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "DNS over TLS: PEM file of the CAs to trust instead of the system's store.", valueName: "FILE"))
    var tlsCa: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Trust-anchor file: DS/DNSKEY zone-file lines or RFC 7958 XML (repeatable; default: the bundled root "
                + "anchors).",
            valueName: "FILE"))
    var trustAnchor: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Record type to look up, for diagnosis (mnemonic or TYPEnnn; default: IPSECKEY).", valueName: "TYPE"),
        transform: { text in
            guard let type = RRType(mnemonic: text) else { throw ValidationError("Unknown record type '\(text)'.") }
            return type
        })
    var type: RRType = .ipseckey

    @Option(
        name: .long,
        help: ArgumentHelp("Validate as if at time T: unix seconds or YYYYMMDDHHMMSS (UTC).", valueName: "T"))
    var validationTime: String?

    @Flag(name: .long, help: "Use TCP only.")
    var tcp = false

    @Flag(name: .long, help: "Send no DNS Cookies (RFC 7873; sent by default, and a forged cookie is dropped).")
    var noCookies = false

    @Option(
        name: .long,
        help: ArgumentHelp("Per-query timeout in seconds (default: resolv.conf's, else 5).", valueName: "SECONDS"))
    var timeout: Double?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Retries after the first try of each query: 0 asks each upstream once, N asks every upstream up to N+1 "
                + "times (default: resolv.conf's attempts - 1, else 1). Separate from the re-asking of answers that "
                + "fail validation (Docs/Security.md).",
            valueName: "N"))
    var retries: Int?

    @Flag(name: .long, help: "Print one JSON object per name (schema in Docs/CLI.md).")
    var json = false

    @Flag(name: .long, help: "Show the chain of trust step by step.")
    var trace = false

    @Flag(name: .long, help: "Print each accepted key as a PEM SubjectPublicKeyInfo.")
    var pem = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Output format: text, pem, libreswan (rightrsasigkey=/rightecdsakey= lines), swanctl (a remote section "
                + "naming the files of --write-pubkey) or json.",
            valueName: "FORMAT"))
    var format: OutputFormat?

    @Flag(name: [.short, .long], help: "Print nothing; the exit code says everything.")
    var quiet = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read names/addresses from FILE, one per line ('-' for stdin); results in input order, a progress bar on "
                + "a terminal.",
            valueName: "FILE"))
    var batch: String?

    @Option(name: .long, help: ArgumentHelp("Lookups in flight at once in batch mode.", valueName: "N"))
    var concurrency: Int = 32

    @Option(
        name: .long,
        help: ArgumentHelp(
            "On a secure answer, write each exportable key to DIR as OWNER.pPRECEDENCE.POSITION.pem (atomically, "
                + "mode 0644); on any other verdict write nothing.",
            valueName: "DIR"))
    var writePubkey: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Keep only records whose gateway is ADDR or NAME (addresses compared as addresses).", valueName: "ADDR|NAME"
        ))
    var expectGateway: String?

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Keep running: re-validate each name before its TTL or signatures run out and keep the files of "
                + "--write-pubkey current (Docs/IPsec.md)."))
    var watch = false

    @Option(
        name: .long,
        help: ArgumentHelp("With --watch: run CMD (with /bin/sh -c) once after key files changed.", valueName: "CMD"))
    var onChange: String?

    @Flag(name: .long, help: "Log debug messages to stderr.")
    var verbose = false

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, pem, libreswan, swanctl, json
    }

    mutating func validate() throws {
        if targets.isEmpty && batch == nil {
            throw ValidationError("Give at least one NAME or ADDRESS, or --batch FILE.")
        }
        if let t = timeout, !(t > 0 && t <= 300) {
            throw ValidationError("--timeout must be between 0 and 300 seconds.")
        }
        if let r = retries, !(0...10).contains(r) { throw ValidationError("--retries must be between 0 and 10.") }
        if !(1...4096).contains(concurrency) { throw ValidationError("--concurrency must be between 1 and 4096.") }
        if let vt = validationTime, Self.parseTime(vt) == nil {
            throw ValidationError("--validation-time '\(vt)' is neither unix seconds nor YYYYMMDDHHMMSS.")
        }
        for s in server {
            do { _ = try Self.upstream(s) } catch { throw ValidationError("--server '\(s)': \(error)") }
        }
        _ = try tlsAuthentication()
        if pem && format != nil && format != .pem {
            throw ValidationError("--pem conflicts with --format \(format!.rawValue).")
        }
        try validateDelivery()
    }

    static func parseTime(_ text: String) -> UInt32? {
        if text.count == 14, let t = DNSTime.parse(text), t <= UInt64(UInt32.max) { return UInt32(t) }
        if let v = UInt32(text) { return v }
        return nil
    }

    var effectiveFormat: OutputFormat { json ? .json : (pem ? .pem : (format ?? .text)) }

    func run() async throws {
        var logger = Logger(label: "ipseckey-verify") { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .debug
            return h
        }
        logger.logLevel = verbose ? .debug : .warning

        let resolver: Resolver
        do {
            resolver = try await Resolver(configuration: try makeConfiguration(logger: logger), logger: logger)
        } catch let e as ResolverSetupError {
            if !quiet { standardError.write("ipseckey-verify: \(e)\n") }
            throw Self.exit(for: e).code
        }

        if watch { throw try await runWatch(resolver: resolver, logger: logger).code }
        let delivery = Delivery(expectGateway: expectGateway, writeDirectory: writePubkey, format: effectiveFormat)
        // Batch output into a pipe or file goes out in blocks (see StandardOutput); on a terminal, line by line.
        let output = Output(
            format: effectiveFormat, trace: trace, quiet: quiet, buffered: batch != nil && isatty(1) != 1)
        var worst = Exit.secure
        if let batch {
            var runner = BatchRunner(resolver: resolver, output: output, type: type, concurrency: concurrency)
            runner.delivery = delivery
            worst = await runner.run(path: batch)
        } else {
            for target in targets {
                let outcome = delivery.apply(
                    await Lookup.run(resolver: resolver, target: target, type: type, trace: trace))
                output.emit(outcome)
                worst = max(worst, outcome.exit)
                if output.failure != nil { break }
            }
            output.flush()
            switch output.failure {
            case nil: break
            case .readerGone: worst = .readerGone
            case let failure?:
                output.err("ipseckey-verify: \(failure)\n")
                worst = .ioError
            }
        }
        if worst != .secure { throw worst.code }
    }

    func makeConfiguration(logger: Logger) throws -> ResolverConfiguration {
        var config = ResolverConfiguration()
        if !server.isEmpty { config.upstreams = try server.map { try Self.upstream($0) } }
        config.tls = try tlsAuthentication()
        if !trustAnchor.isEmpty { config.trustAnchorFiles = trustAnchor }
        if let timeout { config.timeout = .milliseconds(Int64(timeout * 1000)) }
        if let retries { config.attempts = retries + 1 }
        config.tcpOnly = tcp
        config.cookies = !noCookies
        if let vt = validationTime { config.validationTime = Self.parseTime(vt) }
        // --watch: every check asks the upstream afresh, so a cached copy never stands in for re-validation.
        if watch { config.limits.maxCacheTTL = 0 }
        return config
    }

    static func upstream(_ text: String) throws -> UpstreamAddress {
        UpstreamAddress.isTLS(text) ? try UpstreamAddress(parsingTLS: text) : try UpstreamAddress(parsing: text)
    }

    /// DNS over TLS when the servers say tls://, with the --tls-* options; nil for clear text. TLS is all or nothing:
    /// a clear-text server beside a TLS one would see the queries TLS is meant to hide.
    func tlsAuthentication() throws -> TLSAuthentication? {
        let tlsServers = server.filter(UpstreamAddress.isTLS)
        guard !tlsServers.isEmpty else {
            if tlsName != nil || !tlsPin.isEmpty || tlsCa != nil {
                throw ValidationError("--tls-name, --tls-pin and --tls-ca need a --server tls://HOST[:PORT].")
            }
            return nil
        }
        guard tlsServers.count == server.count else {
            throw ValidationError(
                "--server tls://… cannot be mixed with clear-text servers (queries would leave in clear text).")
        }
        do {
            let auth = TLSAuthentication(
                name: tlsName, pins: try tlsPin.map { try SPKIPin(parsing: $0) }, caFile: tlsCa)
            try TLSAuthentication(name: tlsName).check()  // the CA file is read when the resolver is made (exit 66/65)
            return auth
        } catch {
            throw ValidationError("\(error)")
        }
    }

    static func exit(for error: ResolverSetupError) -> Exit {
        switch error.kind {
        case .fileNotFound, .fileUnreadable: return .noInput
        case .malformedTrustAnchor: return .dataError
        case .badConfiguration: return .usage
        }
    }
}
