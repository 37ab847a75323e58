/// Why wire-format data was rejected. Every malformation maps to a case; decoding never traps.
public enum DNSWireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The data ended before `what` could be read (counts that lie end here too).
    case truncated(what: String, offset: Int)
    case compressionLoop(offset: Int)
    /// A compression pointer that does not point strictly backwards (RFC 1035 §4.1.4 pointers refer to a
    /// prior occurrence).
    case forwardPointer(offset: Int, target: Int)
    case pointerOutOfRange(offset: Int, target: Int)
    case compressionNotAllowed(offset: Int)
    case labelTooLong(offset: Int, length: Int)
    case nameTooLong(offset: Int)
    /// Reserved label types 0x40/0x80 (RFC 6891 §5 deprecates extended labels).
    case badLabelType(offset: Int)
    case rdataLengthMismatch(type: RRType, declared: Int, used: Int)
    case badRData(type: RRType, reason: String)
    case trailingData(offset: Int)
    case multipleOPT
    case badOPT(String)

    /// A sentence naming what was malformed and where.
    public var description: String {
        switch self {
        case let .truncated(what, offset): return "message truncated while reading \(what) at offset \(offset)"
        case let .compressionLoop(offset): return "compression pointer loop at offset \(offset)"
        case let .forwardPointer(offset, target):
            return "compression pointer at offset \(offset) points forward to \(target)"
        case let .pointerOutOfRange(offset, target):
            return "compression pointer at offset \(offset) points outside the message (\(target))"
        case let .compressionNotAllowed(offset):
            return "compressed name at offset \(offset) where compression is not allowed"
        case let .labelTooLong(offset, length): return "label of \(length) octets at offset \(offset) exceeds 63"
        case let .nameTooLong(offset): return "name at offset \(offset) exceeds 255 octets"
        case let .badLabelType(offset): return "unsupported label type at offset \(offset)"
        case let .rdataLengthMismatch(type, declared, used):
            return "\(type) RDATA length \(declared) but its fields use \(used)"
        case let .badRData(type, reason): return "malformed \(type) RDATA: \(reason)"
        case let .trailingData(offset):
            return "\(offset) octets parsed but the message is longer (counts disagree with content)"
        case .multipleOPT: return "more than one OPT record (RFC 6891 §6.1.1)"
        case let .badOPT(why): return "malformed OPT record: \(why)"
        }
    }
}

/// Reads DNS wire data with bounds checks on every access.
struct WireReader {
    let bytes: [UInt8]
    var offset: Int = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func u8(_ what: String) throws(DNSWireError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(what: what, offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ what: String) throws(DNSWireError) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw .truncated(what: what, offset: offset) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32(_ what: String) throws(DNSWireError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw .truncated(what: what, offset: offset) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    mutating func take(_ n: Int, _ what: String) throws(DNSWireError) -> [UInt8] {
        guard n >= 0, offset + n <= bytes.count else { throw .truncated(what: what, offset: offset) }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    /// Reads a possibly compressed name. Every pointer must point strictly before the start of the name part that
    /// contains it, which makes loops impossible; the jump count is bounded as well.
    mutating func name(allowCompression: Bool = true) throws(DNSWireError) -> DNSName {
        var out: [UInt8] = []
        var pos = offset
        var jumped = false
        var lowestStart = offset
        var jumps = 0
        while true {
            guard pos < bytes.count else { throw .truncated(what: "domain name", offset: pos) }
            let len = bytes[pos]
            switch len & 0xC0 {
            case 0x00:
                if len == 0 {
                    out.append(0)
                    if !jumped { offset = pos + 1 }
                    guard out.count <= DNSName.maxWireLength else { throw .nameTooLong(offset: offset) }
                    return DNSName(uncheckedWire: out)
                }
                guard pos + 1 + Int(len) <= bytes.count else { throw .truncated(what: "label", offset: pos) }
                out.append(len)
                out.append(contentsOf: bytes[(pos + 1)..<(pos + 1 + Int(len))])
                guard out.count < DNSName.maxWireLength else { throw .nameTooLong(offset: offset) }
                pos += 1 + Int(len)
            case 0xC0:
                guard allowCompression else { throw .compressionNotAllowed(offset: pos) }
                guard pos + 2 <= bytes.count else { throw .truncated(what: "compression pointer", offset: pos) }
                let target = Int(len & 0x3F) << 8 | Int(bytes[pos + 1])
                guard target < bytes.count else { throw .pointerOutOfRange(offset: pos, target: target) }
                if target >= lowestStart {
                    if target >= pos { throw .forwardPointer(offset: pos, target: target) }
                    throw .compressionLoop(offset: pos)
                }
                jumps += 1
                guard jumps <= 127 else { throw .compressionLoop(offset: pos) }
                if !jumped { offset = pos + 2; jumped = true }
                lowestStart = target
                pos = target
            default:
                throw .badLabelType(offset: pos)
            }
        }
    }

    mutating func readMessage() throws(DNSWireError) -> Message {
        let id = try u16("header ID")
        let flagWord = try u16("header flags")
        let qd = try u16("QDCOUNT"), an = try u16("ANCOUNT"), ns = try u16("NSCOUNT"), ar = try u16("ARCOUNT")
        var message = Message(id: id)
        message.flags = HeaderFlags(rawValue: flagWord & HeaderFlags.mask)
        message.opcode = OpCode(rawValue: UInt8((flagWord >> 11) & 0x0F))
        let lowRcode = flagWord & 0x000F
        // A count can never exceed what the remaining octets could hold (5 octets per question, 11 per record).
        guard Int(qd) * 5 + (Int(an) + Int(ns) + Int(ar)) * 11 <= remaining else {
            throw .truncated(what: "sections (counts exceed the message size)", offset: offset)
        }
        for _ in 0..<qd {
            let n = try name()
            let t = RRType(try u16("question type"))
            let c = RRClass(rawValue: try u16("question class"))
            message.questions.append(Question(name: n, type: t, rrClass: c))
        }
        for _ in 0..<an { message.answers.append(try record()) }
        for _ in 0..<ns { message.authorities.append(try record()) }
        var extendedHigh: UInt16 = 0
        for _ in 0..<ar {
            let start = offset
            let r = try record()
            if r.type == .opt {
                guard message.edns == nil else { throw .multipleOPT }
                guard r.name.isRoot else { throw .badOPT("owner name is not the root") }
                extendedHigh = UInt16(r.ttl >> 24)
                var opts: [EDNSOption] = []
                var rr = WireReader(r.rdata)
                while rr.remaining > 0 {
                    let code = try rr.u16("OPT option code")
                    let len = try rr.u16("OPT option length")
                    opts.append(EDNSOption(code: code, data: try rr.take(Int(len), "OPT option data")))
                }
                message.edns = EDNS(
                    udpPayloadSize: r.rrClass.rawValue, version: UInt8((r.ttl >> 16) & 0xFF),
                    dnssecOK: r.ttl & 0x8000 != 0, otherFlags: UInt16(r.ttl & 0x7FFF), options: opts)
                _ = start
            } else {
                message.additionals.append(r)
            }
        }
        guard remaining == 0 else { throw .trailingData(offset: offset) }
        message.rcode = RCode(rawValue: extendedHigh << 4 | lowRcode)
        return message
    }

    mutating func record() throws(DNSWireError) -> ResourceRecord {
        let owner = try name()
        let type = RRType(try u16("record type"))
        let cls = RRClass(rawValue: try u16("record class"))
        let ttl = try u32("record TTL")
        let rdlen = Int(try u16("RDLENGTH"))
        guard rdlen <= remaining else { throw .truncated(what: "\(type) RDATA", offset: offset) }
        let end = offset + rdlen
        let rdata: [UInt8]
        if RData.compressibleTypes.contains(type.rawValue) {
            rdata = try decompressRData(type: type, end: end)
        } else {
            rdata = try take(rdlen, "RDATA")
        }
        return ResourceRecord(name: owner, type: type, rrClass: cls, ttl: ttl, rdata: rdata)
    }

    /// Expands compressed names in the RDATA of the RFC 1035 types (RFC 3597 §4).
    mutating func decompressRData(type: RRType, end: Int) throws(DNSWireError) -> [UInt8] {
        let start = offset
        var out: [UInt8] = []
        func fixed(_ n: Int) throws(DNSWireError) { out += try take(n, "\(type) RDATA") }
        switch type {
        case .ns, .md, .mf, .cname, .mb, .mg, .mr, .ptr:
            out += try name().wire
        case .soa:
            out += try name().wire
            out += try name().wire
            try fixed(20)
        case .minfo:
            out += try name().wire
            out += try name().wire
        case .mx:
            try fixed(2)
            out += try name().wire
        default:
            out += try take(end - offset, "RDATA")
        }
        guard offset == end else {
            throw .rdataLengthMismatch(type: type, declared: end - start, used: offset - start)
        }
        return out
    }
}

/// Writes DNS wire data, optionally with name compression (RFC 1035 §4.1.4).
struct WireWriter {
    var bytes: [UInt8] = []
    let compress: Bool
    /// Offsets of names already written, keyed by their lower-cased wire suffix.
    var table: [[UInt8]: Int] = [:]

    init(compress: Bool) { self.compress = compress; bytes.reserveCapacity(512) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(v >> 24)); bytes.append(UInt8((v >> 16) & 0xFF))
        bytes.append(UInt8((v >> 8) & 0xFF)); bytes.append(UInt8(v & 0xFF))
    }

    mutating func name(_ n: DNSName, compressible: Bool = true) {
        guard compress && compressible else { bytes += n.wire; return }
        let wire = n.wire
        var i = 0
        while wire[i] != 0 {
            let suffix = DNSName.lowerWire(Array(wire[i...]))
            if let at = table[suffix] {
                u16(0xC000 | UInt16(at))
                return
            }
            if bytes.count < 0x3FFF { table[suffix] = bytes.count }
            let len = Int(wire[i])
            bytes += wire[i...(i + len)]
            i += len + 1
        }
        bytes.append(0)
    }

    mutating func writeRecord(_ r: ResourceRecord) {
        name(r.name)
        u16(r.type.rawValue); u16(r.rrClass.rawValue); u32(r.ttl)
        if compress && RData.compressibleTypes.contains(r.type.rawValue),
            let parsed = try? RData(type: r.type, wire: r.rdata)
        {
            let lengthAt = bytes.count
            u16(0)
            parsed.write(into: &self)
            let len = bytes.count - lengthAt - 2
            bytes[lengthAt] = UInt8(len >> 8); bytes[lengthAt + 1] = UInt8(len & 0xFF)
        } else {
            u16(UInt16(r.rdata.count))
            bytes += r.rdata
        }
    }

    mutating func writeMessage(_ m: Message) {
        u16(m.id)
        let flagWord = m.flags.rawValue & HeaderFlags.mask | UInt16(m.opcode.rawValue) << 11 | (m.rcode.rawValue & 0x0F)
        u16(flagWord)
        u16(UInt16(m.questions.count)); u16(UInt16(m.answers.count)); u16(UInt16(m.authorities.count))
        u16(UInt16(m.additionals.count + (m.edns == nil ? 0 : 1)))
        for q in m.questions { name(q.name); u16(q.type.rawValue); u16(q.rrClass.rawValue) }
        for r in m.answers { writeRecord(r) }
        for r in m.authorities { writeRecord(r) }
        for r in m.additionals { writeRecord(r) }
        if let e = m.edns {
            u8(0); u16(RRType.opt.rawValue); u16(e.udpPayloadSize)
            let ttl =
                UInt32((m.rcode.rawValue >> 4) & 0xFF) << 24 | UInt32(e.version) << 16
                | (e.dnssecOK ? 0x8000 : 0) | UInt32(e.otherFlags & 0x7FFF)
            u32(ttl)
            let len = e.options.reduce(0) { $0 + 4 + $1.data.count }
            u16(UInt16(len))
            for o in e.options { u16(o.code); u16(UInt16(o.data.count)); bytes += o.data }
        }
    }
}
