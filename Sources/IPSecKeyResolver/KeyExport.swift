import DNSCrypto

/// Why a key cannot be exported.
public struct KeyExportError: Error, Sendable, CustomStringConvertible {
    /// The reason, as a sentence.
    public let description: String
}

extension IPSecKey {
    /// The public key as a DER SubjectPublicKeyInfo (RSA from RFC 3110 form, ECDSA P-256/P-384 and Ed25519/Ed448
    /// from their raw forms, DSA from RFC 2536 form), checked by libcrypto.
    public func subjectPublicKeyInfo() throws(KeyExportError) -> [UInt8] {
        let der: [UInt8]
        do {
            switch kind {
            case .none: throw KeyExportError(description: "the record carries no key (algorithm 0)")
            case .opaque:
                throw KeyExportError(
                    description: "key algorithm \(algorithm.code) is not assigned; its octets cannot be exported")
            case .rsa: der = try DER.rsaSPKI(rfc3110: publicKey).spki
            case .ecdsaP256, .ecdsaP384: der = try DER.ecSPKI(xy: publicKey)
            case .ed25519, .ed448: der = try DER.edSPKI(raw: publicKey)
            case .dsa: der = try DER.dsaSPKI(rfc2536: publicKey)
            }
        } catch let e as KeyExportError { throw e } catch { throw KeyExportError(description: "\(error)") }
        guard VerifyingKey.isValidSPKI(der) else {
            throw KeyExportError(description: "libcrypto rejects the \(kind) key (not a valid public key)")
        }
        return der
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`), for strongSwan and OpenSSL.
    public func pem() throws(KeyExportError) -> String { DER.pem(try subjectPublicKeyInfo()) }
}
