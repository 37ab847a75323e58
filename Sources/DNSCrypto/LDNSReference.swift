internal import CLDNS
internal import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// libldns's own DNSSEC verification (`ldns_verify_rrsig_keylist_time`), as an independent second opinion for
/// differential tests: canonical form, wildcard owner reconstruction and the signature check are ldns's, not ours.
/// Not used on the validation path. Every ldns object is created and freed inside one call.
public enum LDNSReference {
    /// Whether one of `dnskeys` (DNSKEY records in uncompressed wire form) verifies `rrsig` (an RRSIG record in wire
    /// form) over the RRset made of `records` (uncompressed wire form) at unix time `time`. Throws when ldns cannot
    /// read an input; a signature that does not verify, for whatever reason, is `false`.
    public static func verify(
        records: [[UInt8]], rrsig: [UInt8], dnskeys: [[UInt8]], at time: UInt32
    ) throws(CryptoError) -> Bool {
        guard let rrset = ldns_rr_list_new(), let keys = ldns_rr_list_new() else { throw .library("out of memory") }
        defer { ldns_rr_list_deep_free(rrset); ldns_rr_list_deep_free(keys) }
        for wire in records { _ = ldns_rr_list_push_rr(rrset, try read(wire)) }
        for wire in dnskeys { _ = ldns_rr_list_push_rr(keys, try read(wire)) }
        let sig = try read(rrsig)
        defer { ldns_rr_free(sig) }
        let status = ldns_verify_rrsig_keylist_time(rrset, sig, keys, time_t(time), nil)
        ERR_clear_error()
        return status == LDNS_STATUS_OK
    }

    /// The DS RDATA libldns computes (`ldns_key_rr2ds`) for a DNSKEY record (uncompressed wire form) with DS digest
    /// type `digestType` (1 SHA-1, 2 SHA-256, 4 SHA-384); nil when ldns does not make one.
    public static func dsRDATA(dnskey: [UInt8], digestType: UInt8) throws(CryptoError) -> [UInt8]? {
        let key = try read(dnskey)
        defer { ldns_rr_free(key) }
        guard let ds = ldns_key_rr2ds(key, ldns_hash(rawValue: UInt32(digestType))) else {
            ERR_clear_error(); return nil
        }
        defer { ldns_rr_free(ds) }
        var rdata: [UInt8] = []
        for i in 0..<ldns_rr_rd_count(ds) {
            guard let rdf = ldns_rr_rdf(ds, i), let data = ldns_rdf_data(rdf) else { continue }
            rdata.append(contentsOf: UnsafeBufferPointer(start: data, count: ldns_rdf_size(rdf)))
        }
        return rdata
    }

    private static func read(_ wire: [UInt8]) throws(CryptoError) -> UnsafeMutablePointer<ldns_rr> {
        var rr: UnsafeMutablePointer<ldns_rr>? = nil
        var pos = 0
        let status = wire.withUnsafeBufferPointer { buf in
            ldns_wire2rr(&rr, buf.baseAddress, buf.count, &pos, LDNS_SECTION_ANSWER)
        }
        guard status == LDNS_STATUS_OK, let rr else {
            throw .library("ldns could not read a record: \(String(cString: ldns_get_errorstr_by_id(status)))")
        }
        return rr
    }
}
