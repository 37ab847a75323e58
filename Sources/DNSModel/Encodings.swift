/// Text encodings used by DNS presentation format: base64 (RFC 4648 §4), base32hex without padding
/// (RFC 4648 §7, as NSEC3 uses it, RFC 5155 §3.3), hex, and IP addresses.
public enum TextEncoding {
    static let b64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let b32 = Array("0123456789abcdefghijklmnopqrstuv".utf8)

    /// Base64 (RFC 4648 §4) with padding.
    public static func base64(_ data: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((data.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= data.count {
            let n = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            out += [b64[Int(n >> 18)], b64[Int((n >> 12) & 63)], b64[Int((n >> 6) & 63)], b64[Int(n & 63)]]
            i += 3
        }
        let rest = data.count - i
        if rest == 1 {
            let n = UInt32(data[i]) << 16
            out += [b64[Int(n >> 18)], b64[Int((n >> 12) & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8
            out += [b64[Int(n >> 18)], b64[Int((n >> 12) & 63)], b64[Int((n >> 6) & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base64, ignoring whitespace; nil when the text is not valid base64.
    public static func fromBase64(_ text: String) -> [UInt8]? {
        var vals: [UInt8] = []
        var padding = 0
        for c in text.utf8 {
            switch c {
            case 0x41...0x5A: vals.append(c - 0x41)
            case 0x61...0x7A: vals.append(c - 0x61 + 26)
            case 0x30...0x39: vals.append(c - 0x30 + 52)
            case UInt8(ascii: "+"): vals.append(62)
            case UInt8(ascii: "/"): vals.append(63)
            case UInt8(ascii: "="): padding += 1; continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): continue
            default: return nil
            }
            if padding > 0 { return nil }
        }
        guard padding <= 2, (vals.count + padding) % 4 == 0 || padding == 0 else { return nil }
        guard vals.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(vals.count * 3 / 4)
        var i = 0
        while i + 4 <= vals.count {
            let n = UInt32(vals[i]) << 18 | UInt32(vals[i + 1]) << 12 | UInt32(vals[i + 2]) << 6 | UInt32(vals[i + 3])
            out += [UInt8(n >> 16), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
            i += 4
        }
        let rest = vals.count - i
        if rest == 2 {
            out.append(vals[i] << 2 | vals[i + 1] >> 4)
        } else if rest == 3 {
            out.append(vals[i] << 2 | vals[i + 1] >> 4)
            out.append((vals[i + 1] & 0x0F) << 4 | vals[i + 2] >> 2)
        }
        return out
    }

    /// Base32 with the extended hex alphabet, no padding (RFC 4648 §7, as NSEC3 uses it).
    public static func base32hex(_ data: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0
        for b in data {
            buffer = buffer << 8 | UInt32(b); bits += 8
            while bits >= 5 { bits -= 5; out.append(b32[Int((buffer >> UInt32(bits)) & 31)]) }
        }
        if bits > 0 { out.append(b32[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base32hex (either case); nil for anything else.
    public static func fromBase32hex(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x76: v = c - 0x61 + 10
            case 0x41...0x56: v = c - 0x41 + 10
            default: return nil
            }
            buffer = (buffer << 5 | UInt32(v)) & 0xFFFF; bits += 5
            if bits >= 8 { bits -= 8; out.append(UInt8((buffer >> UInt32(bits)) & 0xFF)) }
        }
        return out
    }

    /// Hexadecimal, two digits per octet.
    public static func hex(_ data: [UInt8], uppercase: Bool = false) -> String {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        out.reserveCapacity(data.count * 2)
        for b in data { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hexadecimal (white space ignored); nil for anything else.
    public static func fromHex(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8? = nil
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            case UInt8(ascii: " "), UInt8(ascii: "\t"): continue
            default: return nil
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return high == nil ? out : nil
    }

    /// Dotted-quad text of 4 octets.
    public static func ipv4(_ b: [UInt8]) -> String { b.map(String.init).joined(separator: ".") }

    /// The 4 octets of a dotted-quad IPv4 address; nil for anything else (no leading zeros, each part ≤ 255).
    public static func fromIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), p.allSatisfy(\.isNumber), let v = UInt8(p) else {
                return nil
            }
            guard p.count == 1 || p.first != "0" else { return nil }
            out.append(v)
        }
        return out
    }

    /// RFC 5952 text form (what inet_ntop prints): lower-case, longest run of ≥2 zero groups as `::`.
    public static func ipv6(_ b: [UInt8]) -> String {
        guard b.count == 16 else { return "" }
        var groups: [UInt16] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(UInt16(b[i]) << 8 | UInt16(b[i + 1])) }
        // IPv4-mapped and IPv4-compatible forms as inet_ntop prints them.
        if groups[0..<5].allSatisfy({ $0 == 0 }) && (groups[5] == 0xFFFF) {
            return "::ffff:" + ipv4(Array(b[12..<16]))
        }
        // IPv4-compatible (RFC 4291 §2.5.5.1): exactly the first six groups zero (so not "::" or "::1").
        if groups[0..<6].allSatisfy({ $0 == 0 }) && groups[6] != 0 {
            return "::" + ipv4(Array(b[12..<16]))
        }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else {
                i += 1
            }
        }
        func hexGroup(_ g: UInt16) -> String { String(g, radix: 16) }
        if bestStart < 0 { return groups.map(hexGroup).joined(separator: ":") }
        let head = groups[0..<bestStart].map(hexGroup).joined(separator: ":")
        let tail = groups[(bestStart + bestLen)...].map(hexGroup).joined(separator: ":")
        return head + "::" + tail
    }

    /// The 16 octets of an IPv6 address (RFC 4291 §2.2 text forms, `::` and an embedded IPv4 tail); nil for anything
    /// else.
    public static func fromIPv6(_ text: String) -> [UInt8]? {
        var text = Substring(text)
        var v4tail: [UInt8] = []
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = fromIPv4(String(text[text.index(after: lastColon)...])) else { return nil }
            v4tail = v4
            text = text[...lastColon]
            if text.hasSuffix(":") && !text.hasSuffix("::") { text = text.dropLast() }
        }
        let wantGroups = v4tail.isEmpty ? 8 : 6
        func parseGroups(_ s: Substring) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, g.allSatisfy(\.isHexDigit), let v = UInt16(g, radix: 16) else {
                    return nil
                }
                out.append(v)
            }
            return out
        }
        var groups: [UInt16]
        let chars = Array(text)
        var doubleAt: Int? = nil
        var k = 0
        while k + 1 < chars.count {
            if chars[k] == ":" && chars[k + 1] == ":" {
                guard doubleAt == nil else { return nil }
                doubleAt = k
                k += 2
                continue
            }
            k += 1
        }
        if let at = doubleAt {
            guard let head = parseGroups(Substring(String(chars[0..<at]))),
                let tail = parseGroups(Substring(String(chars[(at + 2)...]))),
                head.count + tail.count < wantGroups
            else { return nil }
            groups = head + Array(repeating: 0, count: wantGroups - head.count - tail.count) + tail
        } else {
            guard let g = parseGroups(text), g.count == wantGroups else { return nil }
            groups = g
        }
        var out: [UInt8] = []
        for g in groups { out.append(UInt8(g >> 8)); out.append(UInt8(g & 0xFF)) }
        return out + v4tail
    }
}
