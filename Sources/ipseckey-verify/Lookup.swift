import Foundation
import IPSecKeyResolver

/// A target as the user typed it and as parsed, once, by the front (``LookupTarget``).
struct Target: Sendable {
    /// The text from the command line or batch file, echoed in output.
    let text: String
    let target: LookupTarget
}

/// The outcome of one name on the command line.
struct Outcome: Sendable {
    let target: String
    let answer: ValidatedAnswer?
    /// The RRset, only when the front authenticated it (`ValidatedAnswer.authenticated()`).
    let authenticated: AuthenticatedRRset?
    let keys: [IPSecKey]
    let error: String?
    let exit: Exit
    /// Keys checked (and written) for a daemon, with `--write-pubkey` or a daemon format (Delivery.swift).
    var delivered: [DeliveredKey] = []
}

enum Lookup {
    /// A batch line or watched name: parsed here, once, then looked up.
    static func run(resolver: Resolver, text: String, type: RRType, trace: Bool = true) async -> Outcome {
        let target: LookupTarget
        do { target = try LookupTarget(parsing: text) } catch {
            return Outcome(
                target: text, answer: nil, authenticated: nil, keys: [],
                error: "'\(text)' is neither a domain name nor an address: \(error)", exit: .usage)
        }
        return await run(resolver: resolver, target: Target(text: text, target: target), type: type, trace: trace)
    }

    /// Records come from the front: the answer from `resolve`, the RRset from `authenticated()`, keys from
    /// `Resolver.keys(in:)`; every refusal is the front's one error type, mapped to an exit code by `Exit(_:)`.
    static func run(resolver: Resolver, target: Target, type: RRType, trace: Bool = true) async -> Outcome {
        let answer = await resolver.resolve(target.target, type: type, trace: trace)
        do {
            let set = try answer.authenticated()
            let keys = type == .ipseckey ? try Resolver.keys(in: set) : []
            return Outcome(
                target: target.text, answer: answer, authenticated: set, keys: keys, error: nil, exit: .secure)
        } catch {
            return Outcome(
                target: target.text, answer: answer, authenticated: nil, keys: [],
                error: error.reason?.message ?? error.description, exit: Exit(error))
        }
    }
}
