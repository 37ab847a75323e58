import DNSSECValidator
import Foundation

/// Asserts: any UTF-8 text (zone-file DS/DNSKEY lines or RFC 7958 XML, chosen by content) either throws a
/// TrustAnchorError or yields a non-empty anchor set; never traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let now = Date(timeIntervalSince1970: 1_750_000_000)
    do {
        let anchors = try TrustAnchors.parse(text: text, file: "fuzz", now: now)
        if anchors.isEmpty { fatalError("parse returned an empty anchor set instead of throwing") }
        for z in anchors.zones { _ = anchors.closest(to: z) }
    } catch {
        _ = error.description
    }
    return 0
}
