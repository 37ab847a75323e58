import CLDNS
import COpenSSL
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
    public static func verify(records: [[UInt8]], rrsig: [UInt8], dnskeys: [[UInt8]], at time: UInt32) throws(CryptoError) -> Bool {
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
