internal import COpenSSL

/// A public key read from PEM (or DER) SubjectPublicKeyInfo by libcrypto, reduced to the numbers the DNS carries.
/// Plain values: no libcrypto object outlives ``PublicKeyImport/read(pem:)``.
public enum ImportedPublicKey: Sendable, Hashable {
    /// RSA modulus and public exponent, unsigned big-endian without leading zeros.
    case rsa(modulus: [UInt8], exponent: [UInt8])
    /// An uncompressed point on P-256 as `x‖y` (64 octets).
    case ecdsaP256(xy: [UInt8])
    /// An uncompressed point on P-384 as `x‖y` (96 octets).
    case ecdsaP384(xy: [UInt8])
    case ed25519(raw: [UInt8])
    case ed448(raw: [UInt8])
}

/// Reads public keys from PEM through libcrypto (`PEM_read_bio_PUBKEY`); the only place that holds the `BIO` and
/// `EVP_PKEY` pointers involved, each freed before returning.
public enum PublicKeyImport {
    /// The first `-----BEGIN PUBLIC KEY-----` block of `pem`, as the numbers of its key. DSA, other curves and other
    /// key types are refused with a reason.
    public static func read(pem: String) throws(CryptoError) -> ImportedPublicKey {
        let bytes = Array(pem.utf8)
        guard !bytes.isEmpty, bytes.count < 1 << 20 else { throw .malformedKey("empty or oversized PEM input") }
        // Owned here: the memory BIO (freed by defer) reads from `bytes`, which outlives it.
        let key: OpaquePointer? = bytes.withUnsafeBufferPointer { buf -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(buf.baseAddress, Int32(buf.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        ERR_clear_error()
        guard let pkey = key else {
            throw .malformedKey("no PEM public key (-----BEGIN PUBLIC KEY----- SubjectPublicKeyInfo) found")
        }
        defer { EVP_PKEY_free(pkey) }
        return try describe(pkey)
    }

    /// The numbers of a key held by libcrypto. `pkey` stays owned by the caller.
    static func describe(_ pkey: OpaquePointer) throws(CryptoError) -> ImportedPublicKey {
        let id = EVP_PKEY_get_base_id(pkey)
        switch id {
        case EVP_PKEY_RSA:
            guard let n = bigNumber(pkey, "n"), let e = bigNumber(pkey, "e") else {
                throw .library("cannot read the RSA modulus and exponent")
            }
            return .rsa(modulus: n, exponent: e)
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var nameLength = 0
            guard EVP_PKEY_get_utf8_string_param(pkey, "group", &name, name.count, &nameLength) == 1 else {
                ERR_clear_error()
                throw .library("cannot read the EC key's curve")
            }
            let curve = String(decoding: name.prefix(nameLength).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let size: Int
            switch curve {
            case "prime256v1", "P-256", "secp256r1": size = 32
            case "secp384r1", "P-384": size = 48
            default:
                throw .malformedKey(
                    "EC curve \(curve) cannot be published in IPSECKEY (only P-256 and P-384, RFC 8005)")
            }
            // The encoded point, uncompressed whatever form the PEM used (libcrypto allocates; freed here).
            var point: UnsafeMutablePointer<UInt8>? = nil
            let length = EVP_PKEY_get1_encoded_public_key(pkey, &point)
            defer { if let point { CRYPTO_free(point, #fileID, #line) } }
            guard length == 1 + 2 * size, let point, point[0] == 0x04 else {
                ERR_clear_error()
                throw .malformedKey("EC point is not an uncompressed \(curve) point")
            }
            let xy = Array(UnsafeBufferPointer(start: point + 1, count: 2 * size))
            return size == 32 ? .ecdsaP256(xy: xy) : .ecdsaP384(xy: xy)
        case EVP_PKEY_ED25519, EVP_PKEY_ED448:
            let size = id == EVP_PKEY_ED25519 ? 32 : 57
            var raw = [UInt8](repeating: 0, count: size)
            var length = size
            guard EVP_PKEY_get_raw_public_key(pkey, &raw, &length) == 1, length == size else {
                ERR_clear_error()
                throw .library("cannot read the raw EdDSA public key")
            }
            return id == EVP_PKEY_ED25519 ? .ed25519(raw: raw) : .ed448(raw: raw)
        case EVP_PKEY_DSA:
            throw .malformedKey("DSA keys are not accepted (RFC 8247 forbids DSA for IKEv2 authentication)")
        default:
            throw .malformedKey(
                "key type \(String(cString: OBJ_nid2sn(id))) cannot be published in IPSECKEY (RSA, ECDSA "
                    + "P-256/P-384, Ed25519, Ed448)"
            )
        }
    }

    /// A BIGNUM parameter of a key as unsigned big-endian octets; the BIGNUM libcrypto allocates is freed here.
    private static func bigNumber(_ pkey: OpaquePointer, _ name: String) -> [UInt8]? {
        var bn: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, let bn else { ERR_clear_error(); return nil }
        defer { BN_free(bn) }
        let count = (Int(BN_num_bits(bn)) + 7) / 8
        guard count > 0 else { return [0] }
        var out = [UInt8](repeating: 0, count: count)
        guard BN_bn2bin(bn, &out) == count else { return nil }
        return out
    }
}
