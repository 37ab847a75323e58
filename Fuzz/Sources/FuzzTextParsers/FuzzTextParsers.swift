import IPSecKeyResolver

/// The front's public text parsers, fed the input as text: `LookupTarget(parsing:)` (and through it `IPAddress`
/// and the reverse names), `IPSecKey.gateway(parsing:)`, `IPSecKey.gatewayMatches`, `UpstreamAddress(parsing:)`
/// and `IPSecKey(publishing:precedence:gateway:)` (PEM through libcrypto).
/// Asserts: nothing traps; a parsed target or address prints as text that parses back to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let target = try? LookupTarget(parsing: text) {
        guard let again = try? LookupTarget(parsing: target.description), again.queryName == target.queryName else {
            fatalError("target '\(text)' prints as '\(target.description)', which does not parse back")
        }
        if case .address(let address) = target {
            guard address.octets.count == 4 || address.octets.count == 16,
                  IPAddress(address.description)?.octets == address.octets,
                  address.reverseName.labelCount == (address.octets.count == 4 ? 6 : 34) else {
                fatalError("address '\(text)' does not round-trip: \(address)")
            }
        }
    }
    _ = IPAddress(text)
    if let gateway = try? IPSecKey.gateway(parsing: text),
       let key = try? IPSecKey(unauthenticatedRDATA: gatewayRDATA(gateway)) {
        _ = key.gatewayMatches(text)
        _ = key.description
    }
    _ = try? UpstreamAddress(parsing: text)
    if text.contains("-----BEGIN") { _ = try? IPSecKey(publishing: text, precedence: 10, gateway: .none) }
    return 0
}

/// IPSECKEY RDATA with this gateway and no key (algorithm 0), as RFC 4025 §2 lays it out.
func gatewayRDATA(_ gateway: IPSECKEYGateway) -> [UInt8] {
    RData.ipseckey(IPSECKEYData(precedence: 10, gateway: gateway, algorithm: 0, publicKey: [])).wire
}
