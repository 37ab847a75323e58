/// A resource record type (RFC 1035 §3.2.2, IANA "Resource Record (RR) TYPEs").
///
/// Unknown types are kept by number and printed as `TYPEnnnnn` (RFC 3597 §5).
public struct RRType: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The type number.
    public let rawValue: UInt16
    /// The type with this number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// The type with this number.
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// Types from IANA's "Resource Record (RR) TYPEs" registry, by mnemonic.
    public static let a = RRType(1), ns = RRType(2), md = RRType(3), mf = RRType(4), cname = RRType(5)
    public static let soa = RRType(6), mb = RRType(7), mg = RRType(8), mr = RRType(9), null = RRType(10)
    public static let wks = RRType(11), ptr = RRType(12), hinfo = RRType(13), minfo = RRType(14), mx = RRType(15)
    public static let txt = RRType(16), rp = RRType(17), afsdb = RRType(18), x25 = RRType(19), isdn = RRType(20)
    public static let rt = RRType(21), nsap = RRType(22), nsapPtr = RRType(23), sig = RRType(24), key = RRType(25)
    public static let px = RRType(26), gpos = RRType(27), aaaa = RRType(28), loc = RRType(29), nxt = RRType(30)
    public static let srv = RRType(33), naptr = RRType(35), kx = RRType(36), cert = RRType(37), a6 = RRType(38)
    public static let dname = RRType(39), opt = RRType(41), apl = RRType(42), ds = RRType(43), sshfp = RRType(44)
    public static let ipseckey = RRType(45), rrsig = RRType(46), nsec = RRType(47), dnskey = RRType(48)
    public static let dhcid = RRType(49), nsec3 = RRType(50), nsec3param = RRType(51), tlsa = RRType(52)
    public static let smimea = RRType(53), hip = RRType(55), cds = RRType(59), cdnskey = RRType(60)
    public static let openpgpkey = RRType(61), csync = RRType(62), zonemd = RRType(63), svcb = RRType(64)
    public static let https = RRType(65), spf = RRType(99), tkey = RRType(249), tsig = RRType(250)
    public static let ixfr = RRType(251), axfr = RRType(252), any = RRType(255), uri = RRType(256), caa = RRType(257)

    static let names: [UInt16: String] = [
        1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL",
        11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB", 19: "X25",
        20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP-PTR", 24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS", 28: "AAAA",
        29: "LOC", 30: "NXT", 33: "SRV", 35: "NAPTR", 36: "KX", 37: "CERT", 38: "A6", 39: "DNAME", 41: "OPT",
        42: "APL", 43: "DS", 44: "SSHFP", 45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID",
        50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP", 59: "CDS", 60: "CDNSKEY",
        61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD", 64: "SVCB", 65: "HTTPS", 99: "SPF", 249: "TKEY",
        250: "TSIG", 251: "IXFR", 252: "AXFR", 255: "ANY", 256: "URI", 257: "CAA",
    ]
    static let byName: [String: UInt16] = Dictionary(uniqueKeysWithValues: names.map { ($1, $0) })

    /// The mnemonic, or `TYPEnnn` (RFC 3597 §5).
    public var description: String { Self.names[rawValue] ?? "TYPE\(rawValue)" }

    /// Parses a mnemonic (case-insensitive) or `TYPEnnn`.
    public init?(mnemonic: String) {
        let up = mnemonic.uppercased()
        if let v = Self.byName[up] { self.rawValue = v; return }
        if up.hasPrefix("TYPE"), let v = UInt16(up.dropFirst(4)) { self.rawValue = v; return }
        return nil
    }

    /// Meta-types and QTYPEs that never appear in zone data (RFC 6895 §3.1).
    public var isMetaOrQuestionOnly: Bool { rawValue == 41 || (rawValue >= 128 && rawValue <= 255) }

    /// Orders by number (as NSEC bitmaps and canonical order do).
    public static func < (lhs: RRType, rhs: RRType) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A resource record class (RFC 1035 §3.2.4); unknown classes print as `CLASSnnn` (RFC 3597 §5).
public struct RRClass: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The class number.
    public let rawValue: UInt16
    /// The class with this number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// IN (the Internet), CH (Chaos), HS (Hesiod).
    public static let `in` = RRClass(rawValue: 1), ch = RRClass(rawValue: 3), hs = RRClass(rawValue: 4)
    /// NONE and ANY, for updates and queries.
    public static let none = RRClass(rawValue: 254), any = RRClass(rawValue: 255)
    /// `IN`, `CH`, `HS`, or `CLASSnnn` (RFC 3597 §5).
    public var description: String {
        switch rawValue {
        case 1: return "IN"
        case 3: return "CH"
        case 4: return "HS"
        case 254: return "NONE"
        case 255: return "ANY"
        default: return "CLASS\(rawValue)"
        }
    }
    /// A class from its mnemonic (`IN`, case-insensitive) or RFC 3597 `CLASSnnn` form; nil for anything else.
    public init?(mnemonic: String) {
        let up = mnemonic.uppercased()
        switch up {
        case "IN": rawValue = 1
        case "CH": rawValue = 3
        case "HS": rawValue = 4
        case "NONE": rawValue = 254
        case "ANY": rawValue = 255
        default:
            guard up.hasPrefix("CLASS"), let v = UInt16(up.dropFirst(5)) else { return nil }
            rawValue = v
        }
    }
}

/// A response code, including the extended codes carried in the EDNS0 OPT record (RFC 6891 §6.1.3).
public struct RCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// 12-bit value: the upper 8 bits from OPT, the lower 4 from the header.
    public let rawValue: UInt16
    /// The response code with this number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// Response codes (RFC 1035 §4.1.1, RFC 2136, RFC 6891, RFC 7873).
    public static let noError = RCode(rawValue: 0), formErr = RCode(rawValue: 1), servFail = RCode(rawValue: 2)
    public static let nxDomain = RCode(rawValue: 3), notImp = RCode(rawValue: 4), refused = RCode(rawValue: 5)
    public static let yxDomain = RCode(rawValue: 6), yxRRset = RCode(rawValue: 7), nxRRset = RCode(rawValue: 8)
    public static let notAuth = RCode(rawValue: 9), notZone = RCode(rawValue: 10), badVers = RCode(rawValue: 16)
    public static let badCookie = RCode(rawValue: 23)
    /// The mnemonic (`NOERROR`, `NXDOMAIN`, …) or `RCODEnnn`.
    public var description: String {
        switch rawValue {
        case 0: return "NOERROR"
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 3: return "NXDOMAIN"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        case 6: return "YXDOMAIN"
        case 7: return "YXRRSET"
        case 8: return "NXRRSET"
        case 9: return "NOTAUTH"
        case 10: return "NOTZONE"
        case 16: return "BADVERS"
        case 23: return "BADCOOKIE"
        default: return "RCODE\(rawValue)"
        }
    }
}

/// Header opcode (RFC 1035 §4.1.1).
public struct OpCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The 4-bit opcode.
    public let rawValue: UInt8
    /// The opcode of these bits (the low four).
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }
    /// Opcodes (RFC 1035 §4.1.1, RFC 1996, RFC 2136).
    public static let query = OpCode(rawValue: 0), iquery = OpCode(rawValue: 1), status = OpCode(rawValue: 2)
    public static let notify = OpCode(rawValue: 4), update = OpCode(rawValue: 5)
    /// The mnemonic (`QUERY`, …) or `OPCODEnnn`.
    public var description: String {
        switch rawValue {
        case 0: return "QUERY"
        case 1: return "IQUERY"
        case 2: return "STATUS"
        case 4: return "NOTIFY"
        case 5: return "UPDATE"
        default: return "OPCODE\(rawValue)"
        }
    }
}
