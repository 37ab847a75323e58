internal import CLDNS
internal import COpenSSL

/// libldns where the design puts it (DESIGN.md, "Where libldns and OpenSSL serve"): a DNSKEY's public key field
/// becomes a libcrypto `EVP_PKEY` through ldns's own conversion functions (`ldns_key_buf2rsa_raw`,
/// `ldns_ecdsa2pkey_raw`, `ldns_ed255192pkey_raw`, `ldns_ed4482pkey_raw`), and a DS digest is the one ldns computes
/// (`ldns_key_rr2ds`). No DER is written by hand on the verification path. Every pointer is created and released in
/// this file, except the `EVP_PKEY` that ``pkey(algorithm:publicKey:)`` hands to ``VerifyingKey``, which owns it.
enum LDNSKeys {
    /// A new `EVP_PKEY` for the public key field of a DNSKEY (RFC 3110 RSA, RFC 6605 ECDSA, RFC 8080 EdDSA). The
    /// caller owns the result and frees it with `EVP_PKEY_free`. Length and range checks come first, so that ldns
    /// only sees inputs of the shape its functions document.
    static func pkey(algorithm: UInt8, publicKey: [UInt8]) throws(CryptoError) -> OpaquePointer {
        let name = VerifyingKey.algorithmName(algorithm)
        let made: OpaquePointer?
        switch algorithm {
        case 5, 7, 8, 10:
            // RFC 3110 §2: a one-octet exponent length, or zero and a two-octet length; then exponent and modulus.
            guard let first = publicKey.first else { throw .malformedKey("empty RSA key") }
            let exponentLength =
                first != 0
                ? Int(first)
                : publicKey.count >= 3 ? Int(publicKey[1]) << 8 | Int(publicKey[2]) : 0
            let offset = first != 0 ? 1 : 3
            guard exponentLength > 0, publicKey.count > offset + exponentLength else {
                throw .malformedKey(
                    "RSA key has \(publicKey.count) octets, too few for a \(exponentLength)-octet exponent and a "
                        + "modulus"
                )
            }
            made = publicKey.withUnsafeBufferPointer { buf -> OpaquePointer? in
                // ldns returns an RSA object; the EVP_PKEY takes it over on a successful assign.
                guard let rsa = ldns_key_buf2rsa_raw(buf.baseAddress, buf.count) else { return nil }
                guard let pkey = EVP_PKEY_new() else { RSA_free(rsa); return nil }
                guard EVP_PKEY_assign(pkey, EVP_PKEY_RSA, UnsafeMutableRawPointer(rsa)) == 1 else {
                    RSA_free(rsa); EVP_PKEY_free(pkey); return nil
                }
                return pkey
            }
        case 13, 14:
            let size = algorithm == 13 ? 64 : 96
            guard publicKey.count == size else {
                throw .malformedKey("\(name) key must be \(size) octets, found \(publicKey.count)")
            }
            made = publicKey.withUnsafeBufferPointer { ldns_ecdsa2pkey_raw($0.baseAddress, $0.count, algorithm) }
        case 15, 16:
            let size = algorithm == 15 ? 32 : 57
            guard publicKey.count == size else {
                throw .malformedKey("\(name) key must be \(size) octets, found \(publicKey.count)")
            }
            made = publicKey.withUnsafeBufferPointer { buf in
                algorithm == 15
                    ? ldns_ed255192pkey_raw(buf.baseAddress, buf.count)
                    : ldns_ed4482pkey_raw(buf.baseAddress, buf.count)
            }
        default:
            throw .unsupportedAlgorithm(algorithm)
        }
        ERR_clear_error()
        guard let pkey = made else { throw .malformedKey("libldns/libcrypto rejected the \(name) public key") }
        if EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA {
            let bits = Int(EVP_PKEY_get_bits(pkey))
            guard bits >= 512 && bits <= 4096 else {
                EVP_PKEY_free(pkey)
                throw .malformedKey("RSA modulus of \(bits) bits is outside the accepted 512–4096")
            }
        }
        return pkey
    }

    /// The DS digest (RFC 4034 §5.1.4) ldns computes with `ldns_key_rr2ds` for the DNSKEY with RDATA `rdata` at the
    /// owner `ownerWire` (uncompressed wire form; the caller lower-cases it, RFC 4034 §6.2), for DS digest type
    /// `digestType` (1 SHA-1, 2 SHA-256, 4 SHA-384). Nil when ldns cannot read the record or does not implement the
    /// digest type.
    static func dsDigest(ownerWire: [UInt8], rdata: [UInt8], digestType: UInt8) -> [UInt8]? {
        guard [1, 2, 4].contains(digestType), rdata.count >= 4, rdata.count <= 0xffff else { return nil }
        // The DNSKEY record in wire form: owner, type 48, class IN, TTL 0, RDLENGTH, RDATA.
        let wire = ownerWire + [0, 48, 0, 1, 0, 0, 0, 0, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xff)] + rdata
        var key: UnsafeMutablePointer<ldns_rr>? = nil
        var position = 0
        let status = wire.withUnsafeBufferPointer {
            ldns_wire2rr(&key, $0.baseAddress, $0.count, &position, LDNS_SECTION_ANSWER)
        }
        guard status == LDNS_STATUS_OK, let key, position == wire.count else {
            if let key { ldns_rr_free(key) }
            return nil
        }
        defer { ldns_rr_free(key) }
        guard let ds = ldns_key_rr2ds(key, ldns_hash(rawValue: UInt32(digestType))) else {
            ERR_clear_error(); return nil
        }
        defer { ldns_rr_free(ds) }
        // DS RDATA fields: key tag, algorithm, digest type, digest (RFC 4034 §5.1).
        guard ldns_rr_rd_count(ds) == 4, let field = ldns_rr_rdf(ds, 3), let data = ldns_rdf_data(field) else {
            return nil
        }
        return Array(UnsafeBufferPointer(start: data, count: ldns_rdf_size(field)))
    }
}

/// DS digests (RFC 4034 §5.1.4) as libldns computes them.
public enum DSDigest {
    /// The digest of the DNSKEY with RDATA `dnskeyRDATA` owned by `ownerWire` (canonical, lower-case wire form) for
    /// DS digest type `digestType`; nil for digest types other than 1, 2 and 4, or a record ldns cannot read.
    public static func digest(ownerWire: [UInt8], dnskeyRDATA: [UInt8], digestType: UInt8) -> [UInt8]? {
        LDNSKeys.dsDigest(ownerWire: ownerWire, rdata: dnskeyRDATA, digestType: digestType)
    }
}
