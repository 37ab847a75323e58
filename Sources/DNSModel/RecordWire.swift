extension ResourceRecord {
    /// Decode one record in uncompressed wire form (owner, type, class, TTL, RDLENGTH, RDATA), nothing after it.
    public init(wire: [UInt8]) throws(DNSWireError) {
        var reader = WireReader(wire)
        self = try reader.record()
        guard reader.remaining == 0 else { throw DNSWireError.trailingData(offset: reader.offset) }
    }
}
