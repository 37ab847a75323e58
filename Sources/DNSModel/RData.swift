/// DS RDATA (RFC 4034 §5.1).
public struct DSData: Sendable, Hashable {
    /// The key tag of the DNSKEY (RFC 4034 Appendix B).
    public var keyTag: UInt16
    /// The DNSKEY's algorithm number.
    public var algorithm: UInt8
    /// The digest algorithm (1 SHA-1, 2 SHA-256, 4 SHA-384).
    public var digestType: UInt8
    /// The digest of owner name and DNSKEY RDATA.
    public var digest: [UInt8]
    /// DS RDATA from its fields.
    public init(keyTag: UInt16, algorithm: UInt8, digestType: UInt8, digest: [UInt8]) {
        self.keyTag = keyTag; self.algorithm = algorithm; self.digestType = digestType; self.digest = digest
    }
}

/// DNSKEY RDATA (RFC 4034 §2.1).
public struct DNSKEYData: Sendable, Hashable {
    /// Flags: 256 zone key, 257 also SEP (KSK), 128 REVOKE (RFC 5011).
    public var flags: UInt16
    /// Always 3 (RFC 4034 §2.1.2).
    public var `protocol`: UInt8
    /// The algorithm number (IANA "DNS Security Algorithm Numbers").
    public var algorithm: UInt8
    /// The public key in its algorithm's DNSKEY form.
    public var publicKey: [UInt8]
    /// DNSKEY RDATA from its fields.
    public init(flags: UInt16, protocol: UInt8 = 3, algorithm: UInt8, publicKey: [UInt8]) {
        self.flags = flags; self.protocol = `protocol`; self.algorithm = algorithm; self.publicKey = publicKey
    }
    /// RFC 4034 §2.1.1 bit 7: Zone Key.
    public var isZoneKey: Bool { flags & 0x0100 != 0 }
    /// RFC 4034 §2.1.1 bit 15: Secure Entry Point (informational only, RFC 4034 §2.1.1).
    public var isSecureEntryPoint: Bool { flags & 0x0001 != 0 }
    /// RFC 5011 §3 bit 8: REVOKE.
    public var isRevoked: Bool { flags & 0x0080 != 0 }
    /// The RDATA in wire form.
    public var rdata: [UInt8] { RData.dnskey(self).wire }
    /// Key tag per RFC 4034 Appendix B (the ones-complement-like sum over the RDATA).
    public var keyTag: UInt16 { Self.keyTag(rdata: rdata) }

    /// The key tag of DNSKEY RDATA (RFC 4034 Appendix B).
    public static func keyTag(rdata: [UInt8]) -> UInt16 {
        var ac: UInt32 = 0
        for (i, b) in rdata.enumerated() { ac &+= (i & 1) == 1 ? UInt32(b) : UInt32(b) << 8 }
        ac &+= (ac >> 16) & 0xFFFF
        return UInt16(ac & 0xFFFF)
    }
}

/// RRSIG RDATA (RFC 4034 §3.1).
public struct RRSIGData: Sendable, Hashable {
    /// The type of the RRset it signs.
    public var typeCovered: RRType
    /// The signing key's algorithm.
    public var algorithm: UInt8
    /// Labels of the owner name, not counting the root or a wildcard's `*` (RFC 4034 §3.1.3).
    public var labels: UInt8
    /// The RRset's TTL as signed.
    public var originalTTL: UInt32
    /// End of validity, unix seconds in RFC 1982 serial order.
    public var expiration: UInt32
    /// Start of validity, unix seconds in RFC 1982 serial order.
    public var inception: UInt32
    /// The key tag of the signing DNSKEY.
    public var keyTag: UInt16
    /// The zone that signed (the DNSKEY's owner).
    public var signerName: DNSName
    /// The signature octets.
    public var signature: [UInt8]
    /// RRSIG RDATA from its fields.
    public init(
        typeCovered: RRType, algorithm: UInt8, labels: UInt8, originalTTL: UInt32, expiration: UInt32,
        inception: UInt32, keyTag: UInt16, signerName: DNSName, signature: [UInt8]
    ) {
        self.typeCovered = typeCovered; self.algorithm = algorithm; self.labels = labels
        self.originalTTL = originalTTL; self.expiration = expiration; self.inception = inception
        self.keyTag = keyTag; self.signerName = signerName; self.signature = signature
    }
    /// The RDATA fields that precede the signature, with the signer name in canonical (lower-case) form,
    /// as they enter the signed data (RFC 4034 §3.1.8.1).
    public var signedPrefix: [UInt8] {
        var w = WireWriter(compress: false)
        w.u16(typeCovered.rawValue); w.u8(algorithm); w.u8(labels); w.u32(originalTTL)
        w.u32(expiration); w.u32(inception); w.u16(keyTag)
        w.bytes += signerName.lowercased.wire
        return w.bytes
    }
}

/// NSEC RDATA (RFC 4034 §4.1).
public struct NSECData: Sendable, Hashable {
    /// The next owner name in canonical order.
    public var nextName: DNSName
    /// The types present at the owner.
    public var types: TypeBitmap
    /// NSEC RDATA from its fields.
    public init(nextName: DNSName, types: TypeBitmap) { self.nextName = nextName; self.types = types }
}

/// NSEC3 RDATA (RFC 5155 §3.2).
public struct NSEC3Data: Sendable, Hashable {
    /// The hash algorithm (1 SHA-1).
    public var hashAlgorithm: UInt8
    /// Flags: bit 0 is opt-out (RFC 5155 §3.1.2.1).
    public var flags: UInt8
    /// Additional hash iterations.
    public var iterations: UInt16
    /// The salt.
    public var salt: [UInt8]
    /// The next hashed owner name, raw (not base32).
    public var nextHashedOwner: [UInt8]
    /// The types present at the original owner.
    public var types: TypeBitmap
    /// NSEC3 RDATA from its fields.
    public init(
        hashAlgorithm: UInt8 = 1, flags: UInt8, iterations: UInt16, salt: [UInt8], nextHashedOwner: [UInt8],
        types: TypeBitmap
    ) {
        self.hashAlgorithm = hashAlgorithm; self.flags = flags; self.iterations = iterations; self.salt = salt
        self.nextHashedOwner = nextHashedOwner; self.types = types
    }
    /// RFC 5155 §3.1.2.1: the Opt-Out flag.
    public var optOut: Bool { flags & 0x01 != 0 }
}

/// NSEC3PARAM RDATA (RFC 5155 §4.2).
public struct NSEC3PARAMData: Sendable, Hashable {
    /// The hash algorithm (1 SHA-1).
    public var hashAlgorithm: UInt8
    /// Flags (0 in NSEC3PARAM).
    public var flags: UInt8
    /// Additional hash iterations.
    public var iterations: UInt16
    /// The salt.
    public var salt: [UInt8]
    /// NSEC3PARAM RDATA from its fields.
    public init(hashAlgorithm: UInt8 = 1, flags: UInt8 = 0, iterations: UInt16, salt: [UInt8]) {
        self.hashAlgorithm = hashAlgorithm; self.flags = flags; self.iterations = iterations; self.salt = salt
    }
}

/// SOA RDATA (RFC 1035 §3.3.13).
public struct SOAData: Sendable, Hashable {
    /// The primary name server.
    public var mname: DNSName
    /// The responsible mailbox, as a name.
    public var rname: DNSName
    /// The zone's serial number.
    public var serial: UInt32
    /// Secondary refresh interval, seconds.
    public var refresh: UInt32
    /// Secondary retry interval, seconds.
    public var retry: UInt32
    /// Secondary expiry, seconds.
    public var expire: UInt32
    /// Negative-caching TTL (RFC 2308 §4).
    public var minimum: UInt32
    /// SOA RDATA from its fields.
    public init(
        mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32
    ) {
        self.mname = mname; self.rname = rname; self.serial = serial; self.refresh = refresh
        self.retry = retry; self.expire = expire; self.minimum = minimum
    }
}

/// The gateway field of an IPSECKEY record (RFC 4025 §2.3, §2.5).
public enum IPSECKEYGateway: Sendable, Hashable {
    case none
    case ipv4([UInt8])
    case ipv6([UInt8])
    case name(DNSName)
    /// The gateway type field: 0 none, 1 IPv4, 2 IPv6, 3 name (RFC 4025 §2.3).
    public var gatewayType: UInt8 {
        switch self {
        case .none: 0;
        case .ipv4: 1;
        case .ipv6: 2;
        case .name: 3
        }
    }
}

/// IPSECKEY RDATA (RFC 4025 §2). The key is kept as octets; its interpretation belongs to the IPSECKEY front.
public struct IPSECKEYData: Sendable, Hashable {
    /// Lower is preferred (RFC 4025 §2.2).
    public var precedence: UInt8
    /// The gateway (RFC 4025 §2.5).
    public var gateway: IPSECKEYGateway
    /// Public key algorithm, IANA "IPSECKEY Resource Record Parameters": 0 none, 1 DSA, 2 RSA, 3 ECDSA, 4 EdDSA.
    public var algorithm: UInt8
    /// The public key octets (RFC 4025 §2.6).
    public var publicKey: [UInt8]
    /// IPSECKEY RDATA from its fields.
    public init(precedence: UInt8, gateway: IPSECKEYGateway, algorithm: UInt8, publicKey: [UInt8]) {
        self.precedence = precedence; self.gateway = gateway; self.algorithm = algorithm; self.publicKey = publicKey
    }
}

/// A set of RR types in the NSEC/NSEC3 window-block encoding (RFC 4034 §4.1.2).
public struct TypeBitmap: Sendable, Hashable, CustomStringConvertible {
    /// The types, sorted, without duplicates.
    public private(set) var types: [RRType]
    /// A bitmap of these types.
    public init(_ types: [RRType]) { self.types = Array(Set(types)).sorted() }
    /// Whether the bitmap holds `t`.
    public func contains(_ t: RRType) -> Bool { types.contains(t) }

    /// The window-block wire encoding.
    public var wire: [UInt8] {
        var out: [UInt8] = []
        var window = -1
        var bits: [UInt8] = []
        func flush() {
            guard window >= 0 else { return }
            while let last = bits.last, last == 0 { bits.removeLast() }
            if !bits.isEmpty { out.append(UInt8(window)); out.append(UInt8(bits.count)); out += bits }
        }
        for t in types {
            let w = Int(t.rawValue >> 8)
            if w != window { flush(); window = w; bits = Array(repeating: 0, count: 32) }
            let low = Int(t.rawValue & 0xFF)
            bits[low / 8] |= 0x80 >> UInt8(low % 8)
        }
        flush()
        return out
    }

    /// Decodes the bitmap; windows must increase and each bitmap is 1…32 octets (RFC 4034 §4.1.2).
    public init(wire: ArraySlice<UInt8>, type: RRType) throws(DNSWireError) {
        var out: [RRType] = []
        var i = wire.startIndex
        var lastWindow = -1
        while i < wire.endIndex {
            guard i + 2 <= wire.endIndex else { throw .badRData(type: type, reason: "truncated type bitmap") }
            let window = Int(wire[i]), len = Int(wire[i + 1])
            guard window > lastWindow else { throw .badRData(type: type, reason: "type bitmap windows out of order") }
            guard len >= 1 && len <= 32 else { throw .badRData(type: type, reason: "type bitmap length \(len)") }
            guard i + 2 + len <= wire.endIndex else { throw .badRData(type: type, reason: "truncated type bitmap") }
            for j in 0..<len {
                let byte = wire[i + 2 + j]
                for bit in 0..<8 where byte & (0x80 >> UInt8(bit)) != 0 {
                    out.append(RRType(UInt16(window << 8 | (j * 8 + bit))))
                }
            }
            lastWindow = window
            i += 2 + len
        }
        self.types = out
    }

    /// The types' mnemonics, space separated.
    public var description: String { types.map(\.description).joined(separator: " ") }
}

/// Typed RDATA for the types this resolver interprets; everything else stays `.unknown` with its octets.
public enum RData: Sendable, Hashable, CustomStringConvertible {
    case a([UInt8])
    case aaaa([UInt8])
    case ns(DNSName)
    case cname(DNSName)
    case dname(DNSName)
    case ptr(DNSName)
    case mx(preference: UInt16, exchange: DNSName)
    case txt([[UInt8]])
    case soa(SOAData)
    case ds(DSData)
    case dnskey(DNSKEYData)
    case rrsig(RRSIGData)
    case nsec(NSECData)
    case nsec3(NSEC3Data)
    case nsec3param(NSEC3PARAMData)
    case ipseckey(IPSECKEYData)
    case unknown(type: RRType, data: [UInt8])

    /// RFC 3597 §4: the only types whose RDATA names may be compressed.
    static let compressibleTypes: Set<UInt16> = [2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15]

    /// The RR type this RDATA belongs to.
    public var type: RRType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .dname: .dname
        case .ptr: .ptr
        case .mx: .mx
        case .txt: .txt
        case .soa: .soa
        case .ds: .ds
        case .dnskey: .dnskey
        case .rrsig: .rrsig
        case .nsec: .nsec
        case .nsec3: .nsec3
        case .nsec3param: .nsec3param
        case .ipseckey: .ipseckey
        case .unknown(let t, _): t
        }
    }

    /// Parses uncompressed RDATA strictly: every octet must be used.
    public init(type: RRType, wire: [UInt8]) throws(DNSWireError) {
        var r = WireReader(wire)
        func bad(_ why: String) -> DNSWireError { .badRData(type: type, reason: why) }
        func name() throws(DNSWireError) -> DNSName {
            do { return try r.name(allowCompression: false) } catch {
                if case .compressionNotAllowed = error { throw bad("compressed name in RDATA") }
                throw bad("bad name: \(error)")
            }
        }
        switch type {
        case .a:
            guard wire.count == 4 else { throw bad("A is 4 octets, got \(wire.count)") }
            self = .a(wire); return
        case .aaaa:
            guard wire.count == 16 else { throw bad("AAAA is 16 octets, got \(wire.count)") }
            self = .aaaa(wire); return
        case .ns: self = .ns(try name())
        case .cname: self = .cname(try name())
        case .dname: self = .dname(try name())
        case .ptr: self = .ptr(try name())
        case .mx:
            let p = try r.u16("MX preference")
            self = .mx(preference: p, exchange: try name())
        case .txt:
            var strings: [[UInt8]] = []
            while r.remaining > 0 {
                let len = Int(try r.u8("TXT length"))
                strings.append(try r.take(len, "TXT string"))
            }
            guard !strings.isEmpty else { throw bad("TXT needs at least one string") }
            self = .txt(strings)
        case .soa:
            let m = try name(), rn = try name()
            self = .soa(
                SOAData(
                    mname: m, rname: rn, serial: try r.u32("serial"), refresh: try r.u32("refresh"),
                    retry: try r.u32("retry"), expire: try r.u32("expire"), minimum: try r.u32("minimum")))
        case .ds, .init(59):
            let tag = try r.u16("key tag"), alg = try r.u8("algorithm"), dt = try r.u8("digest type")
            let digest = try r.take(r.remaining, "digest")
            guard !digest.isEmpty else { throw bad("empty digest") }
            let data = DSData(keyTag: tag, algorithm: alg, digestType: dt, digest: digest)
            self = type == .ds ? .ds(data) : .unknown(type: type, data: wire)
        case .dnskey:
            let f = try r.u16("flags"), p = try r.u8("protocol"), alg = try r.u8("algorithm")
            let key = try r.take(r.remaining, "public key")
            self = .dnskey(DNSKEYData(flags: f, protocol: p, algorithm: alg, publicKey: key))
        case .rrsig:
            let tc = RRType(try r.u16("type covered")), alg = try r.u8("algorithm"), labels = try r.u8("labels")
            let ottl = try r.u32("original TTL"), exp = try r.u32("expiration"), inc = try r.u32("inception")
            let tag = try r.u16("key tag")
            let signer = try name()
            let sig = try r.take(r.remaining, "signature")
            guard !sig.isEmpty else { throw bad("empty signature") }
            self = .rrsig(
                RRSIGData(
                    typeCovered: tc, algorithm: alg, labels: labels, originalTTL: ottl, expiration: exp,
                    inception: inc, keyTag: tag, signerName: signer, signature: sig))
        case .nsec:
            let next = try name()
            let bitmap = try TypeBitmap(wire: wire[r.offset...], type: type)
            r.offset = wire.count
            self = .nsec(NSECData(nextName: next, types: bitmap))
        case .nsec3:
            let ha = try r.u8("hash algorithm"), fl = try r.u8("flags"), it = try r.u16("iterations")
            let saltLen = Int(try r.u8("salt length"))
            let salt = try r.take(saltLen, "salt")
            let hashLen = Int(try r.u8("hash length"))
            guard hashLen >= 1 else { throw bad("empty next hashed owner name") }
            let next = try r.take(hashLen, "next hashed owner")
            let bitmap = try TypeBitmap(wire: wire[r.offset...], type: type)
            r.offset = wire.count
            self = .nsec3(
                NSEC3Data(
                    hashAlgorithm: ha, flags: fl, iterations: it, salt: salt, nextHashedOwner: next, types: bitmap))
        case .nsec3param:
            let ha = try r.u8("hash algorithm"), fl = try r.u8("flags"), it = try r.u16("iterations")
            let saltLen = Int(try r.u8("salt length"))
            self = .nsec3param(
                NSEC3PARAMData(hashAlgorithm: ha, flags: fl, iterations: it, salt: try r.take(saltLen, "salt")))
        case .ipseckey:
            let prec = try r.u8("precedence"), gt = try r.u8("gateway type"), alg = try r.u8("algorithm")
            let gateway: IPSECKEYGateway
            switch gt {
            case 0: gateway = .none
            case 1: gateway = .ipv4(try r.take(4, "IPv4 gateway"))
            case 2: gateway = .ipv6(try r.take(16, "IPv6 gateway"))
            // RFC 4025 §2.5: a wire-encoded domain name that MUST NOT be compressed.
            case 3: gateway = .name(try name())
            default: throw bad("unknown gateway type \(gt) (RFC 4025 §2.3)")
            }
            self = .ipseckey(
                IPSECKEYData(
                    precedence: prec, gateway: gateway, algorithm: alg,
                    publicKey: try r.take(r.remaining, "public key")))
        default:
            self = .unknown(type: type, data: wire)
            return
        }
        guard r.remaining == 0 else {
            throw .rdataLengthMismatch(type: type, declared: wire.count, used: r.offset)
        }
    }

    /// Uncompressed wire form.
    public var wire: [UInt8] {
        var w = WireWriter(compress: false)
        write(into: &w)
        return w.bytes
    }

    func write(into w: inout WireWriter) {
        switch self {
        case .a(let b), .aaaa(let b): w.bytes += b
        case .ns(let n), .cname(let n), .ptr(let n): w.name(n)
        case .dname(let n): w.name(n, compressible: false)
        case let .mx(p, n): w.u16(p); w.name(n)
        case .txt(let strings):
            for s in strings { w.u8(UInt8(min(s.count, 255))); w.bytes += s.prefix(255) }
        case .soa(let s):
            w.name(s.mname); w.name(s.rname)
            w.u32(s.serial); w.u32(s.refresh); w.u32(s.retry); w.u32(s.expire); w.u32(s.minimum)
        case .ds(let d):
            w.u16(d.keyTag); w.u8(d.algorithm); w.u8(d.digestType); w.bytes += d.digest
        case .dnskey(let k):
            w.u16(k.flags); w.u8(k.protocol); w.u8(k.algorithm); w.bytes += k.publicKey
        case .rrsig(let s):
            w.u16(s.typeCovered.rawValue); w.u8(s.algorithm); w.u8(s.labels); w.u32(s.originalTTL)
            w.u32(s.expiration); w.u32(s.inception); w.u16(s.keyTag)
            w.name(s.signerName, compressible: false); w.bytes += s.signature
        case .nsec(let n):
            w.name(n.nextName, compressible: false); w.bytes += n.types.wire
        case .nsec3(let n):
            w.u8(n.hashAlgorithm); w.u8(n.flags); w.u16(n.iterations)
            w.u8(UInt8(n.salt.count)); w.bytes += n.salt
            w.u8(UInt8(n.nextHashedOwner.count)); w.bytes += n.nextHashedOwner
            w.bytes += n.types.wire
        case .nsec3param(let n):
            w.u8(n.hashAlgorithm); w.u8(n.flags); w.u16(n.iterations); w.u8(UInt8(n.salt.count)); w.bytes += n.salt
        case .ipseckey(let k):
            w.u8(k.precedence); w.u8(k.gateway.gatewayType); w.u8(k.algorithm)
            switch k.gateway {
            case .none: break
            case .ipv4(let b), .ipv6(let b): w.bytes += b
            case .name(let n): w.name(n, compressible: false)
            }
            w.bytes += k.publicKey
        case .unknown(_, let d): w.bytes += d
        }
    }

    /// RFC 3597 §5 generic form: `\# <length> <hex>`.
    public static func genericText(_ data: [UInt8]) -> String {
        data.isEmpty ? "\\# 0" : "\\# \(data.count) \(TextEncoding.hex(data))"
    }

    static func txtString(_ s: [UInt8]) -> String {
        var out = "\""
        for b in s {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += "\\" + String(Character(Unicode.Scalar(b)))
            case 0x20...0x7E: out.append(Character(Unicode.Scalar(b)))
            default:
                let d = String(b)
                out += "\\" + String(repeating: "0", count: 3 - d.count) + d
            }
        }
        return out + "\""
    }

    /// RRSIG time fields as YYYYMMDDHHmmSS (RFC 4034 §3.2). The 32-bit value is read as the time closest to
    /// 2026 in serial arithmetic would be ambiguous for printing; like ldns we print the plain unsigned value.
    public static func timestamp(_ t: UInt32) -> String { DNSTime.presentation(UInt64(t)) }

    /// Presentation format of the RDATA as ldns prints it.
    public var description: String {
        switch self {
        case .a(let b): return TextEncoding.ipv4(b)
        case .aaaa(let b): return TextEncoding.ipv6(b)
        case .ns(let n), .cname(let n), .dname(let n), .ptr(let n): return n.description
        case let .mx(p, n): return "\(p) \(n)"
        case .txt(let s): return s.map(Self.txtString).joined(separator: " ")
        case .soa(let s): return "\(s.mname) \(s.rname) \(s.serial) \(s.refresh) \(s.retry) \(s.expire) \(s.minimum)"
        case .ds(let d): return "\(d.keyTag) \(d.algorithm) \(d.digestType) \(TextEncoding.hex(d.digest))"
        case .dnskey(let k): return "\(k.flags) \(k.protocol) \(k.algorithm) \(TextEncoding.base64(k.publicKey))"
        case .rrsig(let s):
            return "\(s.typeCovered) \(s.algorithm) \(s.labels) \(s.originalTTL) \(Self.timestamp(s.expiration)) "
                + "\(Self.timestamp(s.inception)) \(s.keyTag) \(s.signerName) \(TextEncoding.base64(s.signature))"
        case .nsec(let n):
            return "\(n.nextName) " + n.types.types.map { "\($0) " }.joined()
        case .nsec3(let n):
            let salt = n.salt.isEmpty ? "-" : TextEncoding.hex(n.salt)
            return "\(n.hashAlgorithm) \(n.flags) \(n.iterations) \(salt) \(TextEncoding.base32hex(n.nextHashedOwner)) "
                + n.types.types.map { "\($0) " }.joined()
        case .nsec3param(let n):
            let salt = n.salt.isEmpty ? "-" : TextEncoding.hex(n.salt)
            return "\(n.hashAlgorithm) \(n.flags) \(n.iterations) \(salt)"
        case .ipseckey(let k):
            let gw: String
            switch k.gateway {
            case .none: gw = "."
            case .ipv4(let b): gw = TextEncoding.ipv4(b)
            case .ipv6(let b): gw = TextEncoding.ipv6(b)
            case .name(let n): gw = n.description
            }
            let key = k.publicKey.isEmpty ? "" : " " + TextEncoding.base64(k.publicKey)
            return "\(k.precedence) \(k.gateway.gatewayType) \(k.algorithm) \(gw)\(key)"
        case .unknown(_, let d): return Self.genericText(d)
        }
    }
}

/// Conversions between DNS timestamps and calendar text, without Foundation.
public enum DNSTime {
    /// Seconds since the epoch → `YYYYMMDDHHmmSS` (UTC).
    public static func presentation(_ t: UInt64) -> String {
        let (y, mo, d, h, mi, s) = civil(t)
        func p(_ v: Int, _ w: Int) -> String {
            let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return p(y, 4) + p(mo, 2) + p(d, 2) + p(h, 2) + p(mi, 2) + p(s, 2)
    }

    /// ISO 8601 `YYYY-MM-DDTHH:MM:SSZ`, for human sentences.
    public static func iso8601(_ t: UInt64) -> String {
        let (y, mo, d, h, mi, s) = civil(t)
        func p(_ v: Int, _ w: Int) -> String {
            let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(p(y, 4))-\(p(mo, 2))-\(p(d, 2))T\(p(h, 2)):\(p(mi, 2)):\(p(s, 2))Z"
    }

    static func civil(_ t: UInt64) -> (Int, Int, Int, Int, Int, Int) {
        let days = Int(t / 86400), rem = Int(t % 86400)
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719468
        let era = z / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
    }

    /// `YYYYMMDDHHmmSS` → seconds since the epoch; nil if malformed.
    public static func parse(_ text: String) -> UInt64? {
        let b = Array(text.utf8)
        guard b.count == 14, b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func n(_ a: Int, _ l: Int) -> Int { b[a..<(a + l)].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        let y = n(0, 4), mo = n(4, 2), d = n(6, 2), h = n(8, 2), mi = n(10, 2), s = n(12, 2)
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61, y >= 1970 else { return nil }
        let yy = mo <= 2 ? y - 1 : y
        let era = yy / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return UInt64(days) * 86400 + UInt64(h * 3600 + mi * 60 + s)
    }
}
