internal import CLDNS
internal import COpenSSL
import DNSCrypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A DNSSEC private key generated and held by libldns, used by the test authority to sign zones: the test side's
/// own small bridge to libldns (zone signing is not part of the shipped `DNSCrypto` product).
/// Owns one `ldns_key` (and through it the `EVP_PKEY`), freed in `deinit`. `sign` sets the key's owner and
/// validity period before signing, so it writes into the key: every call holds `lock`. That lock is why the class
/// may be `@unchecked Sendable`; nothing else changes after `init`.
public final class SigningKey: @unchecked Sendable {
    private let key: UnsafeMutablePointer<ldns_key>
    private let lock = NSLock()
    public let algorithm: UInt8
    public let flags: UInt16
    /// The DNSKEY RDATA (flags, protocol 3, algorithm, public key).
    public let dnskeyRDATA: [UInt8]
    /// RFC 4034 Appendix B key tag, as ldns computes it.
    public let keyTag: UInt16

    /// Generate a fresh key. `bits` matters for RSA only. `flags` 257 for a KSK, 256 for a ZSK.
    public init(algorithm: UInt8, flags: UInt16, bits: UInt16 = 2048) throws(CryptoError) {
        guard let k = ldns_key_new_frm_algorithm(ldns_signing_algorithm(rawValue: UInt32(algorithm)), bits) else {
            ERR_clear_error()
            throw .library("ldns could not generate a key for algorithm \(algorithm)")
        }
        ldns_key_set_flags(k, flags)
        ldns_key_set_use(k, 1)
        guard let rr = ldns_key2rr(k) else {
            ldns_key_deep_free(k)
            throw .library("ldns could not express the algorithm \(algorithm) key as a DNSKEY")
        }
        defer { ldns_rr_free(rr) }
        var rdata: [UInt8] = []
        for i in 0..<ldns_rr_rd_count(rr) {
            guard let rdf = ldns_rr_rdf(rr, i) else { continue }
            let size = ldns_rdf_size(rdf)
            if let data = ldns_rdf_data(rdf) { rdata.append(contentsOf: UnsafeBufferPointer(start: data, count: size)) }
        }
        let tag = ldns_calc_keytag(rr)
        ldns_key_set_keytag(k, tag)
        self.key = k
        self.algorithm = algorithm
        self.flags = flags
        self.dnskeyRDATA = rdata
        self.keyTag = tag
    }

    deinit { ldns_key_deep_free(key) }

    /// Sign one RRset. `records` are the RRset's records in uncompressed wire form (owner, type, class, TTL,
    /// RDLENGTH, RDATA); `signer` is the zone name in wire form. Returns the RRSIG record in wire form.
    /// ldns puts the records in canonical form and order itself.
    public func sign(
        records: [[UInt8]], signer: [UInt8], inception: UInt32, expiration: UInt32
    ) throws(CryptoError) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        guard let list = ldns_rr_list_new() else { throw .library("out of memory") }
        defer { ldns_rr_list_deep_free(list) }
        for wire in records {
            var rr: UnsafeMutablePointer<ldns_rr>? = nil
            var pos = 0
            let status = wire.withUnsafeBufferPointer { buf in
                ldns_wire2rr(&rr, buf.baseAddress, buf.count, &pos, LDNS_SECTION_ANSWER)
            }
            guard status == LDNS_STATUS_OK, let rr else {
                throw .library(
                    "ldns could not read a record to sign: \(String(cString: ldns_get_errorstr_by_id(status)))")
            }
            _ = ldns_rr_list_push_rr(list, rr)
        }
        guard let owner = signer.withUnsafeBufferPointer({ ldns_dname_new_frm_data(UInt16($0.count), $0.baseAddress) })
        else {
            throw .library("ldns could not read the signer name")
        }
        ldns_key_set_pubkey_owner(key, owner)
        ldns_key_set_inception(key, inception)
        ldns_key_set_expiration(key, expiration)
        defer { ldns_key_set_pubkey_owner(key, nil); ldns_rdf_deep_free(owner) }
        guard let keys = ldns_key_list_new() else { throw .library("out of memory") }
        _ = ldns_key_list_push_key(keys, key)
        defer {
            // The list must not free our key: empty it without shrinking (pop would realloc the array to size
            // zero, which frees it, and ldns_key_list_free would then free it again).
            ldns_key_list_set_key_count(keys, 0)
            ldns_key_list_free(keys)
        }
        guard let sigs = ldns_sign_public(list, keys) else {
            ERR_clear_error()
            throw .library("ldns_sign_public failed")
        }
        defer { ldns_rr_list_deep_free(sigs) }
        guard ldns_rr_list_rr_count(sigs) == 1, let sig = ldns_rr_list_rr(sigs, 0) else {
            throw .library("ldns_sign_public returned \(ldns_rr_list_rr_count(sigs)) signatures, expected 1")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        let status = ldns_rr2wire(&out, sig, Int32(LDNS_SECTION_ANSWER.rawValue), &size)
        guard status == LDNS_STATUS_OK, let out else { throw .library("ldns could not encode the RRSIG") }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}
