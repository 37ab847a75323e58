import DNSModel

/// Something that answers DNS questions: the real socket transport, or an in-memory test authority.
///
/// The validator talks to the network only through this protocol. Implementations build the query themselves
/// (random ID, RD=1, CD=1, DO=1, EDNS0) and return only a response that matches it.
public protocol DNSUpstream: Sendable {
    /// Sends one question and returns the matching response, or throws a `TransportError`.
    func query(_ question: Question) async throws(TransportError) -> Message

    /// The same, with the octets the response arrived as: a cache keeps those instead of encoding the message
    /// again. The default implementation encodes the message.
    func queryKeepingWire(_ question: Question) async throws(TransportError) -> ReceivedMessage
}

extension DNSUpstream {
    public func queryKeepingWire(_ question: Question) async throws(TransportError) -> ReceivedMessage {
        let message = try await query(question)
        return ReceivedMessage(message: message, wire: message.wire())
    }
}

/// A decoded response and the octets it was decoded from.
public struct ReceivedMessage: Sendable {
    public let message: Message
    public let wire: [UInt8]
    public init(message: Message, wire: [UInt8]) { self.message = message; self.wire = wire }
}

/// Why no usable response was obtained from any upstream.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No upstream answered within the timeout after every attempt; lists the servers tried.
    case timeout(servers: [String])
    /// A socket error (connection refused, unreachable) on every attempt.
    case network(String)
    /// Responses arrived but none could be decoded or matched the query.
    case malformedResponse(String)
    /// The TCP stream ended or delivered an invalid length prefix.
    case tcpFailure(String)
    /// No upstream configured.
    case noUpstreams
    /// The lookup was cancelled.
    case cancelled
    /// DNS over TLS could not be used: no handshake, or the server failed authentication (name, chain, pin).
    /// Nothing was sent in clear text instead.
    case tls(String)

    public var description: String {
        switch self {
        case .timeout(let s): return "no response from \(s.joined(separator: ", ")) before the timeout"
        case .network(let m): return "network error: \(m)"
        case .malformedResponse(let m): return "malformed response: \(m)"
        case .tcpFailure(let m): return "TCP failure: \(m)"
        case .noUpstreams: return "no upstream resolver configured"
        case .cancelled: return "lookup cancelled"
        case .tls(let m): return "TLS: \(m)"
        }
    }
}
