/// Why a line of zone-file text could not be read.
public struct ZoneTextError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, with the line.
    public var message: String
    /// An error with this message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// Reads records in zone-file presentation format (RFC 1035 §5.1), one logical record at a time.
///
/// Supports comments, parentheses spanning lines, quoted strings, `\#` generic RDATA (RFC 3597 §5) and the
/// types this project needs to read from text (trust anchors, test zones): A, AAAA, NS, CNAME, DNAME, PTR, MX,
/// TXT, SOA, DS, DNSKEY, NSEC3PARAM, IPSECKEY.
public enum ZoneText {
    /// Splits text into logical records (parentheses joined), each with the 1-based line where it starts.
    public static func logicalLines(_ text: String) throws(ZoneTextError) -> [(line: Int, tokens: [String])] {
        var out: [(Int, [String])] = []
        var tokens: [String] = []
        var depth = 0
        var startLine = 1
        var lineNo = 1
        var current = ""
        var inQuote = false
        var hasToken = false
        var chars = Array(text.unicodeScalars)
        chars.append("\n")
        var i = 0
        func endToken() {
            if hasToken { tokens.append(current) }
            current = ""; hasToken = false
        }
        while i < chars.count {
            let c = chars[i]
            if inQuote {
                if c == "\\" && i + 1 < chars.count {
                    current.unicodeScalars.append(c); current.unicodeScalars.append(chars[i + 1]); i += 2; continue
                }
                if c == "\"" { inQuote = false; current.unicodeScalars.append(c); i += 1; continue }
                if c == "\n" { throw ZoneTextError("line \(lineNo): unterminated quoted string") }
                current.unicodeScalars.append(c); i += 1; continue
            }
            switch c {
            case "\"":
                inQuote = true; hasToken = true; current.unicodeScalars.append(c)
            case ";":
                while i < chars.count && chars[i] != "\n" { i += 1 }
                continue
            case "(":
                endToken(); depth += 1
            case ")":
                endToken(); depth -= 1
                if depth < 0 { throw ZoneTextError("line \(lineNo): unbalanced ')'") }
            case " ", "\t", "\r":
                endToken()
            case "\n":
                endToken()
                if depth == 0 {
                    if !tokens.isEmpty { out.append((startLine, tokens)) }
                    tokens = []
                    startLine = lineNo + 1
                }
                lineNo += 1
            case "\\":
                hasToken = true
                current.unicodeScalars.append(c)
                if i + 1 < chars.count { current.unicodeScalars.append(chars[i + 1]); i += 1 }
            default:
                hasToken = true
                current.unicodeScalars.append(c)
            }
            i += 1
        }
        if depth != 0 { throw ZoneTextError("line \(startLine): unbalanced '('") }
        return out
    }

    /// Parses one record from its tokens: `owner [ttl] [class] type rdata…` (TTL and class in either order).
    public static func record(
        tokens: [String], defaultTTL: UInt32 = 3600, origin: DNSName? = nil
    ) throws(ZoneTextError) -> ResourceRecord {
        guard tokens.count >= 2 else { throw ZoneTextError("record needs at least an owner and a type") }
        let owner = try name(tokens[0], origin: origin)
        var i = 1
        var ttl = defaultTTL
        var cls = RRClass.in
        var type: RRType?
        while i < tokens.count, type == nil {
            let t = tokens[i]
            if let v = UInt32(t) {
                ttl = v
            } else if let c = RRClass(mnemonic: t), !t.uppercased().hasPrefix("TYPE") {
                cls = c
            } else if let ty = RRType(mnemonic: t) {
                type = ty
            } else {
                throw ZoneTextError("unknown type or class '\(t)'")
            }
            i += 1
        }
        guard let rtype = type else { throw ZoneTextError("no record type found") }
        let rdata = try rdata(type: rtype, tokens: Array(tokens[i...]), origin: origin)
        return ResourceRecord(name: owner, type: rtype, rrClass: cls, ttl: ttl, rdata: rdata)
    }

    /// Parses every record in a zone-file text.
    public static func records(
        _ text: String, defaultTTL: UInt32 = 3600, origin: DNSName? = nil
    ) throws(ZoneTextError) -> [ResourceRecord] {
        var out: [ResourceRecord] = []
        for (line, tokens) in try logicalLines(text) {
            do { out.append(try record(tokens: tokens, defaultTTL: defaultTTL, origin: origin)) } catch {
                throw ZoneTextError("line \(line): \(error.message)")
            }
        }
        return out
    }

    static func name(_ text: String, origin: DNSName?) throws(ZoneTextError) -> DNSName {
        if text == "@", let origin { return origin }
        do {
            if text.hasSuffix(".") || origin == nil { return try DNSName(text) }
            return try DNSName(origin!.isRoot ? text + "." : text + "." + origin!.description)
        } catch { throw ZoneTextError("bad name '\(text)': \(error)") }
    }

    static func int<T: FixedWidthInteger>(_ text: String, _ what: String) throws(ZoneTextError) -> T {
        guard let v = T(text) else { throw ZoneTextError("bad \(what) '\(text)'") }
        return v
    }

    /// Parses presentation RDATA for `type`.
    public static func rdata(type: RRType, tokens: [String], origin: DNSName? = nil) throws(ZoneTextError) -> [UInt8] {
        func need(_ n: Int) throws(ZoneTextError) {
            guard tokens.count >= n else { throw ZoneTextError("\(type) needs \(n) fields, got \(tokens.count)") }
        }
        if tokens.first == "\\#" {
            try need(2)
            let len: Int = try int(tokens[1], "generic RDATA length")
            guard let data = TextEncoding.fromHex(tokens[2...].joined()), data.count == len else {
                throw ZoneTextError("generic RDATA length \(len) does not match its hex")
            }
            return data
        }
        let data: RData
        switch type {
        case .a:
            try need(1)
            guard tokens.count == 1, let b = TextEncoding.fromIPv4(tokens[0]) else {
                throw ZoneTextError("bad IPv4 address")
            }
            data = .a(b)
        case .aaaa:
            guard tokens.count == 1, let b = TextEncoding.fromIPv6(tokens[0]) else {
                throw ZoneTextError("bad IPv6 address")
            }
            data = .aaaa(b)
        case .ns: try need(1); data = .ns(try name(tokens[0], origin: origin))
        case .cname: try need(1); data = .cname(try name(tokens[0], origin: origin))
        case .dname: try need(1); data = .dname(try name(tokens[0], origin: origin))
        case .ptr: try need(1); data = .ptr(try name(tokens[0], origin: origin))
        case .mx:
            try need(2);
            data = .mx(preference: try int(tokens[0], "preference"), exchange: try name(tokens[1], origin: origin))
        case .txt:
            try need(1)
            data = .txt(try tokens.map { (t) throws(ZoneTextError) -> [UInt8] in try characterString(t) })
        case .soa:
            try need(7)
            data = .soa(
                SOAData(
                    mname: try name(tokens[0], origin: origin), rname: try name(tokens[1], origin: origin),
                    serial: try int(tokens[2], "serial"), refresh: try int(tokens[3], "refresh"),
                    retry: try int(tokens[4], "retry"), expire: try int(tokens[5], "expire"),
                    minimum: try int(tokens[6], "minimum")))
        case .ds:
            try need(4)
            guard let digest = TextEncoding.fromHex(tokens[3...].joined()), !digest.isEmpty else {
                throw ZoneTextError("bad DS digest hex")
            }
            data = .ds(
                DSData(
                    keyTag: try int(tokens[0], "key tag"), algorithm: try algorithm(tokens[1]),
                    digestType: try int(tokens[2], "digest type"), digest: digest))
        case .dnskey:
            try need(4)
            guard let key = TextEncoding.fromBase64(tokens[3...].joined()), !key.isEmpty else {
                throw ZoneTextError("bad DNSKEY public key base64")
            }
            data = .dnskey(
                DNSKEYData(
                    flags: try int(tokens[0], "flags"), protocol: try int(tokens[1], "protocol"),
                    algorithm: try algorithm(tokens[2]), publicKey: key))
        case .nsec3param:
            try need(4)
            let salt: [UInt8]
            if tokens[3] == "-" {
                salt = []
            } else {
                guard let s = TextEncoding.fromHex(tokens[3]) else { throw ZoneTextError("bad salt") }
                salt = s
            }
            data = .nsec3param(
                NSEC3PARAMData(
                    hashAlgorithm: try int(tokens[0], "hash algorithm"),
                    flags: try int(tokens[1], "flags"), iterations: try int(tokens[2], "iterations"), salt: salt))
        case .ipseckey:
            try need(4)
            let gt: UInt8 = try int(tokens[1], "gateway type")
            let gateway: IPSECKEYGateway
            switch gt {
            case 0:
                guard tokens[3] == "." else { throw ZoneTextError("gateway type 0 needs '.' as gateway") }
                gateway = .none
            case 1:
                guard let b = TextEncoding.fromIPv4(tokens[3]) else { throw ZoneTextError("bad IPv4 gateway") }
                gateway = .ipv4(b)
            case 2:
                guard let b = TextEncoding.fromIPv6(tokens[3]) else { throw ZoneTextError("bad IPv6 gateway") }
                gateway = .ipv6(b)
            case 3: gateway = .name(try name(tokens[3], origin: origin))
            default: throw ZoneTextError("unknown gateway type \(gt)")
            }
            let key: [UInt8]
            if tokens.count > 4 {
                guard let k = TextEncoding.fromBase64(tokens[4...].joined()) else {
                    throw ZoneTextError("bad IPSECKEY public key base64")
                }
                key = k
            } else {
                key = []
            }
            data = .ipseckey(
                IPSECKEYData(
                    precedence: try int(tokens[0], "precedence"), gateway: gateway,
                    algorithm: try int(tokens[2], "algorithm"), publicKey: key))
        default:
            throw ZoneTextError("type \(type) is only accepted in the generic \\# form here")
        }
        return data.wire
    }

    static func algorithm(_ text: String) throws(ZoneTextError) -> UInt8 {
        if let v = UInt8(text) { return v }
        let names: [String: UInt8] = [
            "RSAMD5": 1, "DH": 2, "DSA": 3, "RSASHA1": 5, "DSA-NSEC3-SHA1": 6,
            "RSASHA1-NSEC3-SHA1": 7, "RSASHA256": 8, "RSASHA512": 10, "ECC-GOST": 12,
            "ECDSAP256SHA256": 13, "ECDSAP384SHA384": 14, "ED25519": 15, "ED448": 16,
            "PRIVATEDNS": 253, "PRIVATEOID": 254,
        ]
        guard let v = names[text.uppercased()] else { throw ZoneTextError("unknown algorithm '\(text)'") }
        return v
    }

    static func characterString(_ token: String) throws(ZoneTextError) -> [UInt8] {
        var bytes = Array(token.utf8)
        if bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\""), bytes.count >= 2 {
            bytes = Array(bytes[1..<(bytes.count - 1)])
        }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
                if i + 3 < bytes.count + 0 && bytes[(i + 1)...(i + 3)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                    let v = bytes[(i + 1)...(i + 3)].reduce(0) { $0 * 10 + Int($1 - 0x30) }
                    guard v <= 255 else { throw ZoneTextError("bad escape in string") }
                    out.append(UInt8(v)); i += 4
                } else {
                    out.append(bytes[i + 1]); i += 2
                }
            } else {
                out.append(bytes[i]); i += 1
            }
        }
        guard out.count <= 255 else { throw ZoneTextError("character string longer than 255 octets") }
        return out
    }
}
