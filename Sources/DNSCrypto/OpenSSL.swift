internal import COpenSSL

/// Hash functions used by DNSSEC (DS digests, NSEC3) through libcrypto.
public enum DigestAlgorithm: Sendable, Hashable {
    case sha1, sha256, sha384, sha512

    /// The DS digest type number (RFC 4034 §5.1.3 registry), if any.
    public init?(dsDigestType: UInt8) {
        switch dsDigestType {
        case 1: self = .sha1
        case 2: self = .sha256
        case 4: self = .sha384
        default: return nil
        }
    }

    var md: OpaquePointer? {
        switch self {
        case .sha1: return EVP_sha1()
        case .sha256: return EVP_sha256()
        case .sha384: return EVP_sha384()
        case .sha512: return EVP_sha512()
        }
    }

    /// The digest of `data`.
    public func hash(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var size: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &size, md, nil)
            }
        }
        // Unreachable with any input: `md` is one of libcrypto's built-in SHA digests, which accept any length,
        // so EVP_Digest fails only when memory allocation does, and Swift traps on that anyway.
        precondition(ok == 1, "EVP_Digest failed for a built-in digest")
        return Array(out.prefix(Int(size)))
    }
}

/// NSEC3 hashing (RFC 5155 §5): IH(salt, x, 0) = H(x||salt); IH(salt, x, k) = H(IH(salt, x, k-1)||salt).
public enum NSEC3Hash {
    /// Hash an owner name in canonical (lower-case) wire form. Only algorithm 1 (SHA-1) exists.
    public static func hash(canonicalName: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        var digest = DigestAlgorithm.sha1.hash(canonicalName + salt)
        var i = 0
        while i < iterations {
            digest = DigestAlgorithm.sha1.hash(digest + salt)
            i += 1
        }
        return digest
    }
}

/// Cryptographically secure random bytes from libcrypto's DRBG.
public enum SecureRandom {
    /// `count` random octets (none for a count below one).
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(0, count))
        // In pieces that fit RAND_bytes' Int32 length, so no count traps in a conversion.
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return 1 }
            var filled = 0
            while filled < buffer.count {
                let n = min(buffer.count - filled, 1 << 30)
                guard RAND_bytes(base + filled, Int32(n)) == 1 else { return 0 }
                filled += n
            }
            return 1
        }
        // Not input-dependent: RAND_bytes fails only without an entropy source, where continuing with predictable
        // bytes would be worse than stopping. Used by the test authority and tests; the shipped transport draws
        // its IDs and ports from SystemRandomNumberGenerator.
        precondition(ok == 1, "RAND_bytes failed: no entropy source")
        return out
    }
    /// A random 16-bit value.
    public static func uint16() -> UInt16 {
        let b = bytes(2)
        return UInt16(b[0]) << 8 | UInt16(b[1])
    }
}

/// A parsed public key held by libcrypto, ready to verify signatures. The `EVP_PKEY` it owns is freed in `deinit`;
/// it is never mutated after creation, so one value may verify from many threads at once.
public final class VerifyingKey: @unchecked Sendable {
    private let pkey: OpaquePointer
    /// A verification context initialised once (digest and key fetched), copied for each verification: OpenSSL 3's
    /// per-call algorithm fetch in `EVP_DigestVerifyInit` costs about 5 µs, a sixth of an RSA-2048 verify. Only for
    /// RSA and ECDSA (EdDSA contexts cannot be copied); read-only after `init`, freed in `deinit`.
    private let template: OpaquePointer?
    /// The DNSSEC algorithm number this key verifies for.
    public let algorithm: UInt8

    /// The DNSSEC algorithms this bridge implements (RFC 8624 MUST/RECOMMENDED validation set).
    public static let supportedAlgorithms: Set<UInt8> = [5, 7, 8, 10, 13, 14, 15, 16]

    /// Parse a DNSKEY public key field for a DNSSEC algorithm: libldns turns it into a libcrypto key
    /// (``LDNSKeys``); no DER is built here.
    public init(algorithm: UInt8, dnskeyPublicKey: [UInt8]) throws(CryptoError) {
        let key = try LDNSKeys.pkey(algorithm: algorithm, publicKey: dnskeyPublicKey)
        pkey = key
        self.algorithm = algorithm
        template = Self.digest(for: algorithm).flatMap { md in
            guard let ctx = EVP_MD_CTX_new() else { return nil }
            guard EVP_DigestVerifyInit(ctx, nil, md, nil, key) == 1 else {
                EVP_MD_CTX_free(ctx); ERR_clear_error(); return nil
            }
            return ctx
        }
    }

    deinit {
        if let template { EVP_MD_CTX_free(template) }
        EVP_PKEY_free(pkey)
    }

    /// The digest an algorithm signs with; nil for EdDSA (which hashes internally) and unknown algorithms.
    private static func digest(for algorithm: UInt8) -> OpaquePointer? {
        switch algorithm {
        case 5, 7: EVP_sha1()
        case 8, 13: EVP_sha256()
        case 10: EVP_sha512()
        case 14: EVP_sha384()
        default: nil
        }
    }

    /// The key as DER SubjectPublicKeyInfo, written by libcrypto (`i2d_PUBKEY`); for tests that compare the key
    /// ldns made with an independent encoding, and for diagnostics.
    public var subjectPublicKeyInfo: [UInt8] {
        let length = i2d_PUBKEY(pkey, nil)
        guard length > 0 else { ERR_clear_error(); return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buf -> Int32 in
            var p: UnsafeMutablePointer<UInt8>? = buf.baseAddress
            return i2d_PUBKEY(pkey, &p)
        }
        ERR_clear_error()
        return written == length ? out : []
    }

    /// Whether libcrypto accepts a DER SubjectPublicKeyInfo (e.g. the EC point is on its curve).
    public static func isValidSPKI(_ spki: [UInt8]) -> Bool {
        guard let key = parseSPKI(spki) else { return false }
        EVP_PKEY_free(key)
        return true
    }

    private static func parseSPKI(_ spki: [UInt8]) -> OpaquePointer? {
        spki.withUnsafeBufferPointer { buf -> OpaquePointer? in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            let key = d2i_PUBKEY(nil, &p, buf.count)
            ERR_clear_error()
            return key
        }
    }

    /// Verify a DNSSEC signature (RRSIG signature field, DNS wire format) over `message`.
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        let md: OpaquePointer?
        var sig = signature
        switch algorithm {
        case 5, 7: md = EVP_sha1()
        case 8: md = EVP_sha256()
        case 10: md = EVP_sha512()
        case 13:
            guard signature.count == 64 else { return false }
            md = EVP_sha256(); sig = DER.ecdsaSignature(raw: signature)
        case 14:
            guard signature.count == 96 else { return false }
            md = EVP_sha384(); sig = DER.ecdsaSignature(raw: signature)
        case 15:
            guard signature.count == 64 else { return false }
            md = nil
        case 16:
            guard signature.count == 114 else { return false }
            md = nil
        default: return false
        }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx); ERR_clear_error() }
        if let template, EVP_MD_CTX_copy_ex(ctx, template) == 1 {
            // Ready: same key and digest, fresh state.
        } else {
            guard EVP_DigestVerifyInit(ctx, nil, md, nil, pkey) == 1 else { return false }
        }
        let rc = sig.withUnsafeBufferPointer { s in
            message.withUnsafeBufferPointer { m in
                EVP_DigestVerify(ctx, s.baseAddress, s.count, m.baseAddress, m.count)
            }
        }
        return rc == 1
    }

    /// The RFC 8624 mnemonic of a DNSSEC algorithm number.
    public static func algorithmName(_ a: UInt8) -> String {
        switch a {
        case 1: return "RSAMD5"
        case 3: return "DSA"
        case 5: return "RSASHA1"
        case 6: return "DSA-NSEC3-SHA1"
        case 7: return "RSASHA1-NSEC3-SHA1"
        case 8: return "RSASHA256"
        case 10: return "RSASHA512"
        case 12: return "ECC-GOST"
        case 13: return "ECDSAP256SHA256"
        case 14: return "ECDSAP384SHA384"
        case 15: return "ED25519"
        case 16: return "ED448"
        case 253: return "PRIVATEDNS"
        case 254: return "PRIVATEOID"
        default: return "algorithm \(a)"
        }
    }
}
