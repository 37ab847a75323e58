import DNSModel

/// What to look up: a domain name, or an IPv4/IPv6 address whose keys live at its reverse name (RFC 4025 §1.2,
/// with RFC 1035 §3.5 `in-addr.arpa.` and RFC 3596 §2.5 `ip6.arpa.`).
///
/// Text from a command line or a file is parsed once, by ``init(parsing:)``, and the value is what validation
/// and the lookup share.
public enum LookupTarget: Sendable, Hashable, CustomStringConvertible {
    /// A domain name, looked up as it is.
    case name(DNSName)
    /// An address, looked up through its reverse name.
    case address(IPAddress)

    /// Parses `text` as an address when it is one (`192.0.2.38`, `2001:db8::1`, `[2001:db8::1]`), else as a domain
    /// name (a relative name is taken as fully qualified). Text that looks numeric but is no address, or that holds
    /// a colon but is no IPv6 address, is an error rather than a name.
    public init(parsing text: String) throws(LookupTargetError) {
        if let address = IPAddress(text) { self = .address(address); return }
        // Something that looks like a numeric address but is not one is an error, not a name.
        if text.isDottedDigits && text.contains(".") && !text.hasSuffix(".") {
            throw .invalidIPv4(text)
        }
        if text.hasColon { throw .invalidIPv6(text) }
        do { self = .name(try DNSName(text)) } catch { throw .invalidName(text, error) }
    }

    /// The name the DNS is asked about: the name itself, or the address's reverse name.
    public var queryName: DNSName {
        switch self {
        case .name(let name): name
        case .address(let address): address.reverseName
        }
    }

    /// The name, or the address in its canonical text form.
    public var description: String {
        switch self {
        case .name(let name): name.description
        case .address(let address): address.description
        }
    }
}

/// Why a text is not a ``LookupTarget``.
public enum LookupTargetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted digits that are not an IPv4 address (`300.1.1.1`, `1.2.3.4.5`).
    case invalidIPv4(String)
    /// Text with a colon that is not an IPv6 address.
    case invalidIPv6(String)
    /// Not a valid domain name.
    case invalidName(String, DNSNameError)

    /// A sentence naming the text and what is wrong with it.
    public var description: String {
        switch self {
        case .invalidIPv4(let text): "'\(text)' is not a valid IPv4 address"
        case .invalidIPv6(let text): "'\(text)' is not a valid IPv6 address"
        case let .invalidName(text, error): "'\(text)' is not a valid domain name: \(error)"
        }
    }
}

/// An IPv4 or IPv6 address, as the target of a reverse lookup.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in network order: 4 octets for IPv4, 16 for IPv6.
    public let octets: [UInt8]
    /// `38.2.0.192.in-addr.arpa.` for `192.0.2.38`; one label per nibble under `ip6.arpa.` for IPv6.
    public let reverseName: DNSName

    /// Parses an IPv4 dotted quad or an IPv6 address (optionally in brackets); nil for anything else.
    public init?(_ text: String) {
        var t = Substring(text)
        if t.hasPrefix("[") && t.hasSuffix("]") { t = t.dropFirst().dropLast() }
        let octets: [UInt8]
        if let v4 = TextEncoding.fromIPv4(String(t)) {
            octets = v4
        } else if t.hasColon, let v6 = TextEncoding.fromIPv6(String(t)) {
            octets = v6
        } else {
            return nil
        }
        self.init(octets: octets)
    }

    /// An address from its octets; nil unless there are exactly 4 or 16.
    public init?(octets: [UInt8]) {
        guard let name = ReverseName.name(octets: octets) else { return nil }
        self.octets = octets
        self.reverseName = name
    }

    /// `192.0.2.38` or `2001:db8::1` (RFC 5952 form).
    public var description: String {
        octets.count == 4 ? TextEncoding.ipv4(octets) : TextEncoding.ipv6(octets)
    }
}

extension StringProtocol {
    /// Whether the text holds a colon, looked for octet by octet: as `Character`s, a colon followed by a combining
    /// mark is one grapheme cluster that is not `":"`, and `":\u{5AE}…"` slipped past the check as a domain name
    /// whose printed form then no longer parsed (found by FuzzTextParsers).
    var hasColon: Bool { utf8.contains(UInt8(ascii: ":")) }
    /// Whether the text is only ASCII digits and dots (`Character.isNumber` would also take other scripts' digits).
    var isDottedDigits: Bool { utf8.allSatisfy { (0x30...0x39).contains($0) || $0 == UInt8(ascii: ".") } }
}
