/// Header flags (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD and CD).
public struct HeaderFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The flag bits as in the header's second 16-bit word.
    public let rawValue: UInt16
    /// Flags from their bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// QR: a response (RFC 1035 §4.1.1).
    public static let qr = HeaderFlags(rawValue: 0x8000)
    /// AA: authoritative answer.
    public static let aa = HeaderFlags(rawValue: 0x0400)
    /// TC: truncated.
    public static let tc = HeaderFlags(rawValue: 0x0200)
    /// RD: recursion desired.
    public static let rd = HeaderFlags(rawValue: 0x0100)
    /// RA: recursion available.
    public static let ra = HeaderFlags(rawValue: 0x0080)
    /// The reserved Z bit (RFC 1035; must be zero).
    public static let z = HeaderFlags(rawValue: 0x0040)
    /// AD: authentic data (RFC 4035 §3.2.3); never trusted by this resolver.
    public static let ad = HeaderFlags(rawValue: 0x0020)
    /// CD: checking disabled (RFC 4035 §3.2.2); set on every query.
    public static let cd = HeaderFlags(rawValue: 0x0010)
    /// Mask of the bits that are flags (opcode and rcode excluded).
    static let mask: UInt16 = 0x87F0

    /// The set flags' names, e.g. `qr rd ra`.
    public var description: String {
        var out: [String] = []
        if contains(.qr) { out.append("qr") }
        if contains(.aa) { out.append("aa") }
        if contains(.tc) { out.append("tc") }
        if contains(.rd) { out.append("rd") }
        if contains(.ra) { out.append("ra") }
        if contains(.ad) { out.append("ad") }
        if contains(.cd) { out.append("cd") }
        return out.joined(separator: " ")
    }
}

/// An EDNS(0) option (RFC 6891 §6.1.2).
public struct EDNSOption: Sendable, Hashable {
    /// The option code (IANA "DNS EDNS0 Option Codes").
    public var code: UInt16
    /// The option data.
    public var data: [UInt8]
    /// An option from its code and data.
    public init(code: UInt16, data: [UInt8]) { self.code = code; self.data = data }
    /// RFC 7873 DNS COOKIE.
    public static let cookieCode: UInt16 = 10
    /// RFC 8914 Extended DNS Error.
    public static let extendedErrorCode: UInt16 = 15
}

/// The EDNS(0) pseudo-record (RFC 6891 §6.1).
public struct EDNS: Sendable, Hashable {
    /// Requestor's UDP payload size. RFC 9715 / DNS Flag Day 2020 recommend 1232 octets.
    public var udpPayloadSize: UInt16
    /// The EDNS version (0).
    public var version: UInt8
    /// The DO bit (RFC 3225): the sender understands DNSSEC records.
    public var dnssecOK: Bool
    /// The remaining 15 Z flag bits.
    public var otherFlags: UInt16
    /// The options, in order.
    public var options: [EDNSOption]

    /// The payload size this resolver announces (DNS Flag Day 2020).
    public static let defaultPayloadSize: UInt16 = 1232

    /// An OPT record's contents; DO=1 by default.
    public init(
        udpPayloadSize: UInt16 = EDNS.defaultPayloadSize, version: UInt8 = 0, dnssecOK: Bool = true,
        otherFlags: UInt16 = 0, options: [EDNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize; self.version = version; self.dnssecOK = dnssecOK
        self.otherFlags = otherFlags; self.options = options
    }
}

/// A DNS message (RFC 1035 §4.1).
public struct Message: Sendable, Hashable {
    /// The message ID.
    public var id: UInt16
    /// Header flags.
    public var flags: HeaderFlags
    /// The opcode.
    public var opcode: OpCode
    /// Full (extended, when EDNS is present) response code.
    public var rcode: RCode
    /// The question section.
    public var questions: [Question]
    /// The answer section.
    public var answers: [ResourceRecord]
    /// The authority section.
    public var authorities: [ResourceRecord]
    /// Additional records, without the OPT pseudo-record (which is `edns`).
    public var additionals: [ResourceRecord]
    /// The OPT pseudo-record's contents, when present.
    public var edns: EDNS?

    /// A message from its parts.
    public init(
        id: UInt16, flags: HeaderFlags = [], opcode: OpCode = .query, rcode: RCode = .noError,
        questions: [Question] = [], answers: [ResourceRecord] = [], authorities: [ResourceRecord] = [],
        additionals: [ResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.id = id; self.flags = flags; self.opcode = opcode; self.rcode = rcode; self.questions = questions
        self.answers = answers; self.authorities = authorities; self.additionals = additionals; self.edns = edns
    }

    /// A query as this stub sends it: RD=1, CD=1 (we validate ourselves, RFC 4035 §3.2.2), DO=1.
    public static func query(
        id: UInt16, name: DNSName, type: RRType, rrClass: RRClass = .in,
        payloadSize: UInt16 = EDNS.defaultPayloadSize, checkingDisabled: Bool = true
    ) -> Message {
        Message(
            id: id, flags: checkingDisabled ? [.rd, .cd] : [.rd],
            questions: [Question(name: name, type: type, rrClass: rrClass)],
            edns: EDNS(udpPayloadSize: payloadSize, dnssecOK: true))
    }

    /// Decodes a message from wire format. Throws a typed error for every malformation; never traps.
    public init(wire: [UInt8]) throws(DNSWireError) {
        var reader = WireReader(wire)
        self = try reader.readMessage()
    }

    /// Encodes the message, compressing owner names and the RDATA names RFC 3597 §4 allows.
    public func wire(compress: Bool = true) -> [UInt8] {
        var w = WireWriter(compress: compress)
        w.writeMessage(self)
        return w.bytes
    }

    /// Encodes the message to fit in `limit` octets: when it does not, sections are dropped from the end
    /// and TC is set (RFC 2181 §9), as a server does for UDP.
    public func wire(truncatingTo limit: Int) -> [UInt8] {
        let full = wire()
        if full.count <= limit { return full }
        var copy = self
        copy.flags.insert(.tc)
        copy.answers = []; copy.authorities = []; copy.additionals = []
        return copy.wire()
    }
}
