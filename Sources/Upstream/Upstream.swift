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

    /// Asks again after an answer that could not be used: `route` 0 is the normal path; each later route avoids
    /// what the earlier ones used (over TCP, then from the next server). Never answered from a cache. The default
    /// asks the normal way.
    func queryKeepingWire(_ question: Question, route: Int) async throws(TransportError) -> ReceivedMessage

    /// How `route` reaches the DNS, for reasons ("127.0.0.1 over TCP"); nil when the upstream has one route.
    func describe(route: Int) -> String?

    /// The number of distinct routes worth trying (1 for an upstream with one path).
    var routeCount: Int { get }

    /// The upstream behind `route` was seen stripping DNSSEC records while another route served them: prefer the
    /// others for the rest of the process. Returns the demoted server's name, if any was demoted.
    func demote(route: Int) -> String?
}

/// Defaults for an upstream with one route.
extension DNSUpstream {
    /// One route: asks it.
    public func queryKeepingWire(_ question: Question, route: Int) async throws(TransportError) -> ReceivedMessage {
        try await queryKeepingWire(question)
    }
    /// One route: nothing to describe.
    public func describe(route: Int) -> String? { nil }
    /// One route.
    public var routeCount: Int { 1 }
    /// One route: nothing to demote.
    public func demote(route: Int) -> String? { nil }

    /// Asks, then re-encodes the decoded message (an upstream that keeps the received octets overrides this).
    public func queryKeepingWire(_ question: Question) async throws(TransportError) -> ReceivedMessage {
        let message = try await query(question)
        return ReceivedMessage(message: message, wire: message.wire())
    }
}

/// A decoded response and the octets it was decoded from.
public struct ReceivedMessage: Sendable {
    /// The decoded response.
    public let message: Message
    /// The octets as received.
    public let wire: [UInt8]
    /// A response and its octets.
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

    /// An answer came but could not be used (corrupted, cut short, not matching the question): asking again,
    /// by another route, may well succeed. A timeout or a refused connection has already been retried.
    public var isUnusableAnswer: Bool {
        switch self {
        case .malformedResponse, .tcpFailure: true
        default: false
        }
    }

    /// A sentence for people.
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
