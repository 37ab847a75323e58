/// One entry of a message's question section (RFC 1035 §4.1.2).
public struct Question: Sendable, Hashable, CustomStringConvertible {
    /// The name asked about.
    public var name: DNSName
    /// The type asked for.
    public var type: RRType
    /// The class (IN).
    public var rrClass: RRClass
    /// A question from its parts.
    public init(name: DNSName, type: RRType, rrClass: RRClass = .in) {
        self.name = name; self.type = type; self.rrClass = rrClass
    }
    /// `;name.\tIN\tTYPE` as ldns prints a question.
    public var description: String { "\(name)\t\(rrClass)\t\(type)" }
}

/// A resource record (RFC 1035 §3.2.1) with its RDATA kept as uncompressed wire octets.
///
/// Names inside the RDATA of the RFC 1035 types that may be compressed on the wire (RFC 3597 §4) are
/// decompressed when the record is decoded, so `rdata` is always self-contained.
public struct ResourceRecord: Sendable, Hashable, CustomStringConvertible {
    /// The owner name.
    public var name: DNSName
    /// The record's type.
    public var type: RRType
    /// The record's class.
    public var rrClass: RRClass
    /// Time to live, seconds.
    public var ttl: UInt32
    /// The RDATA in wire form (uncompressed).
    public var rdata: [UInt8]

    /// A record from its parts.
    public init(name: DNSName, type: RRType, rrClass: RRClass = .in, ttl: UInt32, rdata: [UInt8]) {
        self.name = name; self.type = type; self.rrClass = rrClass; self.ttl = ttl; self.rdata = rdata
    }

    /// Creates a record from typed RDATA.
    public init(name: DNSName, ttl: UInt32, rrClass: RRClass = .in, _ data: RData) {
        self.init(name: name, type: data.type, rrClass: rrClass, ttl: ttl, rdata: data.wire)
    }

    /// The RDATA parsed according to the type; unknown types come back as `.unknown`.
    public func parsed() throws(DNSWireError) -> RData { try RData(type: type, wire: rdata) }

    /// Presentation format as `ldns_rr2str` prints it: `owner<TAB>ttl<TAB>class<TAB>type<TAB>rdata`.
    public var description: String {
        let text: String
        if let data = try? parsed() { text = data.description } else { text = RData.genericText(rdata) }
        return "\(name)\t\(ttl)\t\(rrClass)\t\(type)\t\(text)"
    }

    /// Uncompressed wire form of the whole record.
    public var wire: [UInt8] {
        var w = WireWriter(compress: false)
        w.writeRecord(self)
        return w.bytes
    }
}

/// Records sharing owner name, class and type (RFC 2181 §5).
public struct RRset: Sendable, Hashable, CustomStringConvertible {
    /// The owner name.
    public var name: DNSName
    /// The type.
    public var type: RRType
    /// The class.
    public var rrClass: RRClass
    /// The smallest TTL of the members (RFC 2181 §5.2 says they must agree; we take the minimum).
    public var ttl: UInt32
    /// Each record's RDATA in wire form.
    public var rdatas: [[UInt8]]

    /// An RRset from its parts.
    public init(name: DNSName, type: RRType, rrClass: RRClass = .in, ttl: UInt32, rdatas: [[UInt8]]) {
        self.name = name; self.type = type; self.rrClass = rrClass; self.ttl = ttl; self.rdatas = rdatas
    }

    /// The set as individual records.
    public var records: [ResourceRecord] {
        rdatas.map { ResourceRecord(name: name, type: type, rrClass: rrClass, ttl: ttl, rdata: $0) }
    }

    /// Groups records into RRsets in order of first appearance.
    public static func group(_ records: [ResourceRecord]) -> [RRset] {
        var order: [RRsetKey] = []
        var sets: [RRsetKey: RRset] = [:]
        for r in records {
            let key = RRsetKey(name: r.name, type: r.type, rrClass: r.rrClass)
            if var s = sets[key] {
                if !s.rdatas.contains(r.rdata) { s.rdatas.append(r.rdata) }
                s.ttl = min(s.ttl, r.ttl)
                sets[key] = s
            } else {
                order.append(key)
                sets[key] = RRset(name: r.name, type: r.type, rrClass: r.rrClass, ttl: r.ttl, rdatas: [r.rdata])
            }
        }
        return order.compactMap { sets[$0] }
    }

    /// One presentation line per record.
    public var description: String { records.map(\.description).joined(separator: "\n") }
}

/// Identity of an RRset: owner, type, class.
public struct RRsetKey: Sendable, Hashable, CustomStringConvertible {
    /// The owner name.
    public var name: DNSName
    /// The type.
    public var type: RRType
    /// The class.
    public var rrClass: RRClass
    /// A key from its parts.
    public init(name: DNSName, type: RRType, rrClass: RRClass = .in) {
        self.name = name; self.type = type; self.rrClass = rrClass
    }
    /// `owner TYPE`.
    public var description: String { "\(name) \(type)" }
}
