import DNSModel

/// Reverse-mapping names for addresses, as opportunistic IPsec looks keys up (RFC 4025 §1.2 with RFC 1035 §3.5
/// `in-addr.arpa.` and RFC 3596 §2.5 `ip6.arpa.`). Callers outside the module use ``LookupTarget`` and
/// ``IPAddress``.
enum ReverseName {
    /// Why a string is not an IP address.
    struct InvalidAddress: Error, Sendable, Equatable, CustomStringConvertible {
        let text: String
        var description: String { "'\(text)' is not an IPv4 or IPv6 address" }
    }

    /// `192.0.2.38` → `38.2.0.192.in-addr.arpa.`; `2001:db8::1` → `1.0.0.…8.b.d.0.1.0.0.2.ip6.arpa.`
    static func name(for address: String) throws(InvalidAddress) -> DNSName {
        guard let parsed = IPAddress(address) else { throw InvalidAddress(text: address) }
        return parsed.reverseName
    }

    /// The reverse name of a 4- or 16-octet address; nil for any other length.
    static func name(octets: [UInt8]) -> DNSName? {
        switch octets.count {
        case 4: ipv4(octets)
        case 16: ipv6(octets)
        default: nil
        }
    }

    /// The `in-addr.arpa.` name of a 4-octet address; nil for any other length.
    static func ipv4(_ b: [UInt8]) -> DNSName? {
        guard b.count == 4 else { return nil }
        return try? DNSName(
            labels: b.reversed().map { Array(String($0).utf8) } + [Array("in-addr".utf8), Array("arpa".utf8)])
    }

    /// The `ip6.arpa.` name of a 16-octet address (one label per nibble); nil for any other length.
    static func ipv6(_ b: [UInt8]) -> DNSName? {
        guard b.count == 16 else { return nil }
        let hex = Array("0123456789abcdef".utf8)
        var labels: [[UInt8]] = []
        for byte in b.reversed() {
            labels.append([hex[Int(byte & 0x0F)]])
            labels.append([hex[Int(byte >> 4)]])
        }
        return try? DNSName(labels: labels + [Array("ip6".utf8), Array("arpa".utf8)])
    }
}
