import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The parts of resolv.conf(5) a DNSSEC stub needs: `nameserver` lines and `options timeout:N attempts:N`.
///
/// Everything else (`search`, `domain`, `sortlist`, other options) is ignored. Follows glibc: comments start with
/// `#` or `;`, the last `timeout:`/`attempts:` wins, timeout is clamped to 1…30 s (default 5), attempts to 1…5
/// (default 2). A scoped IPv6 address (`fe80::1%eth0`) is used without its scope.
public struct ResolvConf: Sendable, Equatable {
    /// resolv.conf's default `options timeout:` (RES_TIMEOUT).
    public static let defaultTimeout: Duration = .seconds(5)
    /// resolv.conf's default `options attempts:` (RES_DFLRETRY).
    public static let defaultAttempts = 2
    /// Where the system resolver configuration lives.
    public static let defaultPath = "/etc/resolv.conf"
    /// Used when the file names no usable server (glibc's default). Optional rather than `try!`: the literal
    /// always parses (ModelTests check it), and if it ever did not, the list would be empty and setup would say
    /// "no upstream resolver" instead of trapping.
    public static let fallbackServer: UpstreamAddress? = try? UpstreamAddress(parsing: "127.0.0.1")

    /// Servers in file order (possibly empty).
    public var servers: [UpstreamAddress]
    /// The per-query timeout from `options timeout:`, else `defaultTimeout`.
    public var timeout: Duration
    /// Tries per server from `options attempts:`, else `defaultAttempts`.
    public var attempts: Int
    /// Lines that were not understood (bad `nameserver` addresses, bad option values), for logging.
    public var problems: [String]

    /// Parses resolv.conf text. Never fails; see `problems`.
    public init(parsing text: String) {
        servers = []
        timeout = Self.defaultTimeout
        attempts = Self.defaultAttempts
        problems = []
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }) {
            var line = rawLine
            if let c = line.firstIndex(where: { $0 == "#" || $0 == ";" }) { line = line[..<c] }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = words.first else { continue }
            switch keyword {
            case "nameserver":
                guard words.count >= 2 else { problems.append("nameserver line without an address"); continue }
                var text = words[1]
                if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
                // resolv.conf takes a bare address: no port, no brackets.
                let colons = text.reduce(0) { $0 + ($1 == ":" ? 1 : 0) }
                guard colons != 1, !text.contains("["), !text.contains("]") else {
                    problems.append("nameserver '\(words[1])' is not an IP address"); continue
                }
                do {
                    servers.append(try UpstreamAddress(parsing: String(text)))
                } catch {
                    problems.append("nameserver '\(words[1])' is not an IP address")
                }
            case "options":
                for option in words.dropFirst() {
                    if let value = Self.optionValue(option, "timeout:") {
                        guard let n = Int(value) else { problems.append("bad option '\(option)'"); continue }
                        timeout = .seconds(min(max(n, 1), 30))
                    } else if let value = Self.optionValue(option, "attempts:") {
                        guard let n = Int(value) else { problems.append("bad option '\(option)'"); continue }
                        attempts = min(max(n, 1), 5)
                    }
                }
            default:
                continue
            }
        }
    }

    private static func optionValue(_ option: Substring, _ prefix: String) -> Substring? {
        option.hasPrefix(prefix) ? option.dropFirst(prefix.count) : nil
    }

    /// Reads and parses `path`. A missing, unreadable or empty file, or one without a usable `nameserver`,
    /// gives 127.0.0.1 (as glibc does), with a notice in the log.
    public static func load(
        path: String = defaultPath, logger: Logger
    )
        -> (servers: [UpstreamAddress], timeout: Duration, attempts: Int)
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            logger.notice("cannot read \(path); using the resolver on 127.0.0.1")
            return (fallbackServer.map { [$0] } ?? [], defaultTimeout, defaultAttempts)
        }
        let conf = ResolvConf(parsing: String(decoding: data, as: UTF8.self))
        for problem in conf.problems {
            logger.warning("\(path): \(problem)")
        }
        guard !conf.servers.isEmpty else {
            logger.notice("no nameserver in \(path); using the resolver on 127.0.0.1")
            return (fallbackServer.map { [$0] } ?? [], conf.timeout, conf.attempts)
        }
        return (conf.servers, conf.timeout, conf.attempts)
    }
}
