import Foundation
import IPSecKeyResolver

/// Writes outcomes in the chosen format: records on stdout, reasons on stderr.
struct Output: Sendable {
    let format: IPSecKeyVerify.OutputFormat
    let trace: Bool
    let quiet: Bool
    let stdout: StandardOutput

    init(format: IPSecKeyVerify.OutputFormat, trace: Bool, quiet: Bool, buffered: Bool = false) {
        self.format = format; self.trace = trace; self.quiet = quiet
        stdout = StandardOutput(buffered: buffered)
    }

    func out(_ s: String) { stdout.write(s) }
    func err(_ s: String) { standardError.write(s) }
    /// Writes what buffered standard output still holds.
    func flush() { stdout.flush() }
    /// The first failure to write standard output, if any (then nothing more is written).
    var failure: OutputFailure? { stdout.failure }

    func emit(_ o: Outcome) {
        guard !quiet else { return }
        if format == .json { out(jsonLine(o) + "\n"); return }
        if trace, let a = o.answer {
            err(";; chain of trust for \(a.question.name) \(a.question.type):\n")
            for (i, step) in a.trace.enumerated() { err(";;  \(i + 1). \(step)\n") }
        }
        let verdict = o.answer?.verdict.rawValue ?? "error"
        switch o.exit {
        case .secure:
            guard let a = o.answer else { return }
            if let r = DaemonFormats.render(o, format: format) {
                out(r.stdout); if !r.stderr.isEmpty { err(r.stderr) }; return
            }
            for link in a.chain { out(link.description + "\n") }
            if o.keys.isEmpty, let set = o.authenticated?.rrset {
                out(set.description + "\n")
            } else if let set = o.authenticated?.rrset {
                for k in o.keys {
                    let owner = "\(set.name)\t\(set.ttl)\tIN\tIPSECKEY\t"
                    out(owner + k.description + "\n")
                }
            }
            out(";; \(verdict): \(a.finalName) \(a.question.type)\(a.wildcard ? " (wildcard)" : "")\n")
        case .denial:
            out(";; secure denial: \(o.error ?? "")\n")
        default:
            err("ipseckey-verify: \(o.target): \(verdict): \(o.error ?? "unknown error")\n")
        }
    }

    func gatewayText(_ k: IPSecKey) -> String {
        switch k.gateway {
        case .none: return "none"
        case .ipv4(let b): return TextEncoding.ipv4(b)
        case .ipv6(let b): return TextEncoding.ipv6(b)
        case .name(let n): return n.description
        }
    }

    /// One record as JSON: owner, TTL, class, type, RDATA text and, for IPSECKEY, its parsed fields.
    func recordJSON(_ r: ResourceRecord) -> JSONRecord {
        var d = JSONRecord(
            owner: r.name.description, ttl: Int(r.ttl), rrClass: r.rrClass.description,
            type: r.type.description, rdata: (try? r.parsed().description) ?? "")
        // Display only: the one IPSECKEY parser, on records whose authenticity the caller has already settled.
        if r.type == .ipseckey, let k = try? IPSecKey(unauthenticatedRDATA: r.rdata) {
            d.precedence = Int(k.precedence)
            d.gatewayType = Int(k.gateway.gatewayType)
            d.gateway = gatewayText(k)
            d.algorithm = Int(k.algorithm.code)
            d.keyType = k.kind.description
            d.publicKey = TextEncoding.base64(k.publicKey)
        }
        return d
    }

    func jsonLine(_ o: Outcome) -> String {
        var obj = JSONOutcome(target: o.target, exit: Int(o.exit.rawValue), verdict: "error", error: o.error)
        if let a = o.answer {
            obj.name = a.question.name.description
            obj.type = a.question.type.description
            obj.verdict = a.verdict.rawValue
            // What was proven: only a secure verdict proves data, a name error or no data.
            obj.kind = a.verdict == .secure ? a.kind.rawValue : nil
            obj.finalName = a.finalName.description
            obj.wildcard = a.wildcard
            obj.reason = a.reason.map {
                JSONReason(code: $0.code.rawValue, message: $0.message, ede: $0.extendedError.map(Int.init))
            }
            obj.chain = a.chain.flatMap { $0.records.map(recordJSON) }
            obj.records = o.authenticated?.rrset.records.map(recordJSON) ?? []
            if trace {
                obj.trace = a.trace.map { JSONStep(zone: $0.zone, step: $0.text, verdict: $0.verdict?.rawValue ?? "") }
            }
        }
        obj.keys = o.keys.map { k in
            JSONKey(
                precedence: Int(k.precedence), gateway: gatewayText(k), algorithm: Int(k.algorithm.code),
                keyType: k.kind.description, libreswan: k.libreswanKey, pem: try? k.exportablePEM())
        }
        guard let data = try? Self.encoder.encode(obj) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Sorted keys, one line, `/` unescaped (PEM and base64 stay readable).
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
}

// The `--json` schema (Docs/CLI.md). Optional fields that are nil are left out of the object.

struct JSONOutcome: Encodable {
    var target: String
    var exit: Int
    var name: String?
    var type: String?
    var verdict: String
    var kind: String?
    var finalName: String?
    var wildcard: Bool?
    var reason: JSONReason?
    var chain: [JSONRecord]?
    var records: [JSONRecord]?
    var trace: [JSONStep]?
    var error: String?
    var keys: [JSONKey] = []

    init(target: String, exit: Int, verdict: String, error: String?) {
        self.target = target; self.exit = exit; self.verdict = verdict; self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case target, exit, name, type, verdict, kind, wildcard, reason, chain, records, trace, error, keys
        case finalName = "final_name"
    }
}

struct JSONReason: Encodable { let code: String; let message: String; let ede: Int? }

struct JSONStep: Encodable { let zone: String; let step: String; let verdict: String }

struct JSONRecord: Encodable {
    let owner: String
    let ttl: Int
    let rrClass: String
    let type: String
    let rdata: String
    var precedence: Int?
    var gatewayType: Int?
    var gateway: String?
    var algorithm: Int?
    var keyType: String?
    var publicKey: String?

    init(owner: String, ttl: Int, rrClass: String, type: String, rdata: String) {
        self.owner = owner; self.ttl = ttl; self.rrClass = rrClass; self.type = type; self.rdata = rdata
    }

    enum CodingKeys: String, CodingKey {
        case owner, ttl, type, rdata, precedence, gateway, algorithm
        case rrClass = "class", gatewayType = "gateway_type", keyType = "key_type", publicKey = "public_key"
    }
}

struct JSONKey: Encodable {
    let precedence: Int
    let gateway: String
    let algorithm: Int
    let keyType: String
    let libreswan: String?
    let pem: String?

    enum CodingKeys: String, CodingKey {
        case precedence, gateway, algorithm, libreswan, pem
        case keyType = "key_type"
    }
}
