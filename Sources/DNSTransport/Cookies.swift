import DNSModel

/// DNS Cookies, client side (RFC 7873 §5.1–5.3), one entry per upstream server.
///
/// Every query carries a COOKIE option: an 8-octet client cookie, random per server and per transport instance, and
/// the server cookie once the server has sent one. A response whose COOKIE option has an illegal length or another
/// client cookie is discarded as forged (an off-path spoofer does not know our client cookie). Once a server has
/// answered with a valid cookie, a UDP answer from it without one is not trusted: the query is asked again over TCP,
/// which an off-path spoofer cannot answer (what BIND does; a server that dropped cookie support still works).
/// Servers that never send cookies are unaffected.
final class CookieJar: Sendable {
    private struct Entry { let client: [UInt8]; var server: [UInt8]?; var seen = false }
    private let entries = Locked<[UpstreamAddress: Entry]>([:])

    /// What a response says about cookies.
    enum Check: Equatable {
        /// The first COOKIE option has our client cookie and a server cookie of legal length.
        case valid
        /// No COOKIE option.
        case absent
        /// A COOKIE option that must make the response be discarded (RFC 7873 §5.3).
        case invalid(String)
    }

    /// The COOKIE option for the next query to `server`.
    func option(for server: UpstreamAddress) -> EDNSOption {
        let entry = entries.withLock { e -> Entry in
            if let known = e[server] { return known }
            var generator = SystemRandomNumberGenerator()  // getrandom(2)
            let fresh = Entry(client: (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) })
            e[server] = fresh
            return fresh
        }
        return EDNSOption(code: EDNSOption.cookieCode, data: entry.client + (entry.server ?? []))
    }

    /// Checks a response from `server` that otherwise matches its query, and keeps the server cookie of a valid one
    /// (also from an error response, e.g. BADCOOKIE).
    func check(_ message: Message, from server: UpstreamAddress) -> Check {
        guard let option = message.edns?.options.first(where: { $0.code == EDNSOption.cookieCode }) else {
            return .absent
        }
        let data = option.data
        // 8 octets of client cookie and 8 to 32 of server cookie (RFC 7873 §4).
        guard data.count >= 16 && data.count <= 40 else {
            return .invalid("COOKIE option of \(data.count) octets (16 to 40 expected)")
        }
        let client = Array(data[0..<8]), serverCookie = Array(data[8...])
        return entries.withLock { e -> Check in
            guard let entry = e[server], entry.client == client else {
                return .invalid("COOKIE option with another client cookie (forged or misdirected)")
            }
            e[server] = Entry(client: entry.client, server: serverCookie, seen: true)
            return .valid
        }
    }

    /// True once `server` has answered with a valid cookie.
    func expectsCookie(from server: UpstreamAddress) -> Bool { entries.withLock { $0[server]?.seen ?? false } }

    static func carriesCookie(_ message: Message) -> Bool {
        message.edns?.options.contains { $0.code == EDNSOption.cookieCode } ?? false
    }
}
