/// Minimal DER encoding for the few ASN.1 shapes DNSSEC and IPSECKEY need: SubjectPublicKeyInfo for each key
/// format published in the DNS, and ECDSA signature conversion between the DNS's raw `r||s` and DER.
/// Pure Swift; no C here.
public enum DER {
    static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var bytes: [UInt8] = []
        var v = n
        while v > 0 { bytes.insert(UInt8(v & 0xff), at: 0); v >>= 8 }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + length(content.count) + content }
    static func sequence(_ parts: [UInt8]...) -> [UInt8] { tlv(0x30, parts.flatMap { $0 }) }
    /// A non-negative INTEGER from unsigned big-endian octets.
    static func unsignedInteger(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var b = Array(bytes.drop(while: { $0 == 0 }))
        if b.isEmpty { b = [0] }
        if b[0] & 0x80 != 0 { b.insert(0, at: 0) }
        return tlv(0x02, b)
    }
    static func bitString(_ bytes: [UInt8]) -> [UInt8] { tlv(0x03, [0] + bytes) }

    static let rsaEncryption: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00]
    static let ecPublicKey: [UInt8] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
    static let prime256v1: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
    static let secp384r1: [UInt8] = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22]
    static let ed25519: [UInt8] = [0x06, 0x03, 0x2B, 0x65, 0x70]
    static let ed448: [UInt8] = [0x06, 0x03, 0x2B, 0x65, 0x71]
    static let dsa: [UInt8] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x38, 0x04, 0x01]

    /// SPKI for an RSA key in RFC 3110 form (exponent length, exponent, modulus).
    public static func rsaSPKI(rfc3110 key: [UInt8]) throws(CryptoError) -> (spki: [UInt8], modulusBits: Int) {
        guard let first = key.first else { throw .malformedKey("empty RSA key") }
        var offset = 1
        var expLen = Int(first)
        if first == 0 {
            guard key.count >= 3 else { throw .malformedKey("RSA key too short for its exponent length") }
            expLen = Int(key[1]) << 8 | Int(key[2])
            offset = 3
        }
        guard expLen > 0, key.count > offset + expLen else {
            throw .malformedKey("RSA key has \(key.count) octets, too few for a \(expLen)-octet exponent and a modulus")
        }
        let exponent = key[offset..<offset + expLen]
        let modulus = key[(offset + expLen)...]
        let modulusTrimmed = modulus.drop(while: { $0 == 0 })
        guard let top = modulusTrimmed.first else { throw .malformedKey("RSA modulus is zero") }
        let bits = modulusTrimmed.count * 8 - top.leadingZeroBitCount
        let rsaKey = sequence(unsignedInteger(modulus), unsignedInteger(exponent))
        return (sequence(sequence(rsaEncryption), bitString(rsaKey)), bits)
    }

    /// SPKI for an uncompressed EC point given as `x||y` (RFC 6605 form).
    public static func ecSPKI(xy: [UInt8]) throws(CryptoError) -> [UInt8] {
        let curve: [UInt8]
        switch xy.count {
        case 64: curve = prime256v1
        case 96: curve = secp384r1
        default: throw .malformedKey("ECDSA key is \(xy.count) octets; P-256 needs 64, P-384 needs 96")
        }
        return sequence(sequence(ecPublicKey, curve), bitString([0x04] + xy))
    }

    /// SPKI for a raw EdDSA key (RFC 8080 form): 32 octets Ed25519, 57 octets Ed448.
    public static func edSPKI(raw: [UInt8]) throws(CryptoError) -> [UInt8] {
        switch raw.count {
        case 32: return sequence(sequence(ed25519), bitString(raw))
        case 57: return sequence(sequence(ed448), bitString(raw))
        default: throw .malformedKey("EdDSA key is \(raw.count) octets; Ed25519 needs 32, Ed448 needs 57")
        }
    }

    /// SPKI for a DSA key in RFC 2536 form (T, Q, P, G, Y).
    public static func dsaSPKI(rfc2536 key: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let t = key.first, t <= 8 else { throw .malformedKey("DSA key T parameter missing or above 8") }
        let size = 64 + Int(t) * 8
        guard key.count == 1 + 20 + 3 * size else {
            throw .malformedKey("DSA key with T=\(t) must be \(1 + 20 + 3 * size) octets, found \(key.count)")
        }
        let q = key[1..<21], p = key[21..<21 + size], g = key[21 + size..<21 + 2 * size], y = key[(21 + 2 * size)...]
        return sequence(
            sequence(dsa, sequence(unsignedInteger(p), unsignedInteger(q), unsignedInteger(g))),
            bitString(unsignedInteger(y)))
    }

    /// SPKI for a DNSKEY's public key field, by DNSSEC algorithm number.
    public static func dnskeySPKI(algorithm: UInt8, publicKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        switch algorithm {
        case 5, 7, 8, 10:
            let (spki, bits) = try rsaSPKI(rfc3110: publicKey)
            guard bits >= 512 && bits <= 4096 else {
                throw .malformedKey("RSA modulus of \(bits) bits is outside the accepted 512–4096")
            }
            return spki
        case 13:
            guard publicKey.count == 64 else {
                throw .malformedKey("ECDSAP256SHA256 key must be 64 octets, found \(publicKey.count)")
            }
            return try ecSPKI(xy: publicKey)
        case 14:
            guard publicKey.count == 96 else {
                throw .malformedKey("ECDSAP384SHA384 key must be 96 octets, found \(publicKey.count)")
            }
            return try ecSPKI(xy: publicKey)
        case 15:
            guard publicKey.count == 32 else {
                throw .malformedKey("ED25519 key must be 32 octets, found \(publicKey.count)")
            }
            return try edSPKI(raw: publicKey)
        case 16:
            guard publicKey.count == 57 else {
                throw .malformedKey("ED448 key must be 57 octets, found \(publicKey.count)")
            }
            return try edSPKI(raw: publicKey)
        default: throw .unsupportedAlgorithm(algorithm)
        }
    }

    /// DER `ECDSA-Sig-Value` from the DNS's raw `r||s` (RFC 6605 §4).
    public static func ecdsaSignature(raw: [UInt8]) -> [UInt8] {
        let half = raw.count / 2
        return sequence(unsignedInteger(raw[0..<half]), unsignedInteger(raw[half...]))
    }

    /// PEM armour for DER bytes.
    public static func pem(_ der: [UInt8], label: String = "PUBLIC KEY") -> String {
        let b64 = Base64.encode(der)
        var lines: [String] = []
        var i = b64.startIndex
        while i < b64.endIndex {
            let j = b64.index(i, offsetBy: 64, limitedBy: b64.endIndex) ?? b64.endIndex
            lines.append(String(b64[i..<j]))
            i = j
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }
}

/// Base64 (RFC 4648 §4) for PEM; DNSModel has its own codec for presentation format.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    static func encode(_ data: [UInt8]) -> String {
        var out = ""
        out.reserveCapacity((data.count + 2) / 3 * 4)
        var i = 0
        while i < data.count {
            let b0 = data[i], b1 = i + 1 < data.count ? data[i + 1] : 0, b2 = i + 2 < data.count ? data[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(i + 1 < data.count ? alphabet[Int((b1 & 0xf) << 2 | b2 >> 6)] : "=")
            out.append(i + 2 < data.count ? alphabet[Int(b2 & 0x3f)] : "=")
            i += 3
        }
        return out
    }
}

/// Errors from the cryptographic bridge.
public enum CryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    case unsupportedAlgorithm(UInt8)
    case malformedKey(String)
    case malformedSignature(String)
    case library(String)

    public var description: String {
        switch self {
        case .unsupportedAlgorithm(let a): return "algorithm \(a) is not implemented"
        case .malformedKey(let s): return "malformed key: \(s)"
        case .malformedSignature(let s): return "malformed signature: \(s)"
        case .library(let s): return "crypto library error: \(s)"
        }
    }
}
