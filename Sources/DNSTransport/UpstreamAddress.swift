import NIOCore

/// Why an upstream address string was rejected. The message names the input.
public struct UpstreamAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was given.
    public let input: String
    /// What is wrong with it.
    public let reason: String

    /// An error naming the text given and what is wrong with it.
    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    public var description: String { "invalid upstream address '\(input)': \(reason)" }
}

/// The IP address and port of an upstream resolver: `127.0.0.1`, `127.0.0.1:5353`, `::1`, `[::1]`, `[::1]:5353`.
///
/// Only literal IPv4 or IPv6 addresses are accepted (a stub resolver cannot look up its own resolver's name).
/// The port defaults to 53 (`defaultPort`: 853 for DNS over TLS). A bare IPv6 address (no brackets) always means the
/// default port.
public struct UpstreamAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in canonical text form (`inet_ntop` form: IPv6 lower case and compressed), without brackets.
    public let host: String
    /// 1…65535.
    public let port: Int
    /// The socket address the transport sends to.
    let socketAddress: SocketAddress

    /// The DNS port, used when the text names none.
    public static let defaultPort = 53

    /// Parses `IPv4`, `IPv4:PORT`, `[IPv6]:PORT` or a bare IPv6 address (`defaultPort` when none is given).
    public init(parsing text: String, defaultPort: Int = UpstreamAddress.defaultPort) throws(UpstreamAddressError) {
        func fail(_ reason: String) -> UpstreamAddressError { UpstreamAddressError(input: text, reason: reason) }
        let input = text.trimmingSpaces
        guard !input.isEmpty else { throw fail("empty address") }

        let hostText: Substring
        var portText: Substring? = nil
        var mustBeIPv6 = false
        if input.hasPrefix("[") {
            guard let close = input.firstIndex(of: "]") else { throw fail("missing ']' after the IPv6 address") }
            hostText = input[input.index(after: input.startIndex)..<close]
            let rest = input[input.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw fail("expected ':PORT' after ']'") }
                portText = rest.dropFirst()
            }
            mustBeIPv6 = true
        } else {
            let colons = input.reduce(0) { $0 + ($1 == ":" ? 1 : 0) }
            if colons == 1 {
                let colon = input.firstIndex(of: ":")!
                hostText = input[..<colon]
                portText = input[input.index(after: colon)...]
            } else {
                // No colon: IPv4. Two or more: a bare IPv6 address, port 53.
                hostText = input[...]
                mustBeIPv6 = colons >= 2
            }
        }

        var port = defaultPort
        if let portText {
            guard !portText.isEmpty else { throw fail("empty port") }
            guard portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(portText)
            else {
                throw fail("port '\(portText)' is not a number")
            }
            guard (1...65_535).contains(value) else { throw fail("port \(value) is out of range 1…65535") }
            port = value
        }

        guard !hostText.isEmpty else { throw fail("empty host") }
        let isIPv6Text = hostText.contains(":")
        if mustBeIPv6 && !isIPv6Text { throw fail("brackets are only for IPv6 addresses") }
        if hostText.contains("%") { throw fail("scoped IPv6 addresses are not supported") }
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: String(hostText), port: port)
        } catch {
            throw fail("'\(hostText)' is not an IPv4 or IPv6 address (host names are not accepted)")
        }
        switch address {
        case .v4: if isIPv6Text { throw fail("'\(hostText)' is not an IPv6 address") }
        case .v6: if !isIPv6Text { throw fail("'\(hostText)' is not an IPv4 address") }
        default: throw fail("not an IP address")
        }
        guard let canonical = address.ipAddress else { throw fail("not an IP address") }
        self.host = canonical
        self.port = port
        self.socketAddress = address
    }

    /// True for an IPv6 server.
    public var isIPv6: Bool { host.contains(":") }

    /// `127.0.0.1:53` or `[::1]:53`.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public static func == (lhs: UpstreamAddress, rhs: UpstreamAddress) -> Bool {
        lhs.host == rhs.host && lhs.port == rhs.port
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(host)
        hasher.combine(port)
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = self[...]
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return s
    }
}
