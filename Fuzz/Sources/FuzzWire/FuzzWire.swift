import DNSModel

/// Asserts: any input either throws a DNSWireError or decodes; a decoded message re-encodes (compressed and not),
/// and each re-encoding decodes again to an equal message, whose encoding is stable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let m = try? Message(wire: bytes) else { return 0 }
    for compress in [true, false] {
        let w = m.wire(compress: compress)
        let again: Message
        do { again = try Message(wire: w) } catch {
            fatalError("re-encoding (compress: \(compress)) of a decoded message does not decode: \(error)")
        }
        if again.wire(compress: compress) != w { fatalError("encoding is not stable across a decode (compress: \(compress))") }
    }
    _ = m.wire(truncatingTo: 512)
    for rr in m.answers + m.authorities + m.additionals {
        _ = try? rr.parsed()
        _ = rr.description
    }
    return 0
}
