import DNSModel
import DNSSECValidator
import Foundation
import IPSecKeyResolver

/// The outcome of one name on the command line.
struct Outcome: Sendable {
    let target: String
    let answer: ValidatedAnswer?
    let keys: [IPSecKey]
    let error: String?
    let exit: Exit
    /// Keys checked (and written) for a daemon, with `--write-pubkey` or a daemon format (Delivery.swift).
    var delivered: [DeliveredKey] = []
}

enum Lookup {
    static func run(resolver: Resolver, target: String, type: RRType, trace: Bool = true) async -> Outcome {
        let name: DNSName
        do {
            if ReverseName.isAddress(target) { name = try ReverseName.name(for: target) } else { name = try DNSName(target) }
        } catch {
            return Outcome(target: target, answer: nil, keys: [], error: "'\(target)' is neither a domain name nor an address: \(error)", exit: .usage)
        }
        let answer = await resolver.resolve(name: name, type: type, trace: trace)
        let exit: Exit
        switch answer.verdict {
        case .secure: exit = answer.kind == .data ? .secure : .denial
        case .insecure: exit = .insecure
        case .bogus: exit = .bogus
        case .indeterminate: exit = .indeterminate
        }
        guard type == .ipseckey, exit == .secure else {
            return Outcome(target: target, answer: answer, keys: [], error: answer.reason?.message, exit: exit)
        }
        do {
            let keys = try Resolver.keys(from: answer)
            return Outcome(target: target, answer: answer, keys: keys, error: nil, exit: .secure)
        } catch {
            return Outcome(target: target, answer: answer, keys: [], error: error.description, exit: .bogus)
        }
    }
}
