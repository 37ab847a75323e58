import IPSecKeyResolver

// Look up the IPsec keys of a gateway; accept them only when DNSSEC proves them authentic.
let logger = Logger(label: "getting-started")
let arguments = CommandLine.arguments.dropFirst()
var configuration = ResolverConfiguration()
if let server = arguments.dropFirst().first {
    configuration.upstreams = [try UpstreamAddress(parsing: server)]
}

let resolver = try await Resolver(configuration: configuration, logger: logger)
let target = try LookupTarget(parsing: arguments.first ?? "gw.example.net")

do {
    let keys = try await resolver.resolveAuthenticated(target)
    for key in keys {
        print("precedence \(key.precedence), gateway \(key.gatewayText), \(key.kind)")
        if let refusal = key.exportRefusal {
            print("  not for IKEv2: \(refusal)")
        } else {
            print(try key.exportablePEM(), terminator: "")
        }
    }
} catch {
    // One error type: .denied, .insecure, .bogus, .indeterminate or .malformedRecords, with the reason.
    print("no trusted key for \(target): \(error)")
}

// Any type, for diagnosis: the verdict, the reason and the chain of trust.
let answer = await resolver.resolve(target, type: .dnskey)
switch answer.result {
case .secure(let rrset):
    print("secure: \(rrset.rrset.records.count) DNSKEY records")
case .secureDenial(let reason, _), .insecure(let reason), .bogus(let reason), .indeterminate(let reason):
    print("\(answer.verdict): \(reason)")
}
