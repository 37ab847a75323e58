import DNSModel
import IPSecKeyResolver

/// Asserts: any RDATA either throws an IPSecKeyParseError or parses; a parsed key prints, and exports to PEM
/// (or throws a KeyExportError) without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let key = try? IPSecKey(unauthenticatedRDATA: bytes) else { return 0 }
    _ = key.description
    _ = key.kind.description
    if let pem = try? key.pem(), !pem.hasPrefix("-----BEGIN ") { fatalError("PEM without a BEGIN line: \(pem)") }
    return 0
}
