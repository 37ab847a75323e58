import DNSModel
import DNSSECValidator
import Foundation
import IPSecKeyResolver

/// Writes outcomes in the chosen format: records on stdout, reasons on stderr.
struct Output: Sendable {
    let format: IPSecKeyVerify.OutputFormat
    let trace: Bool
    let quiet: Bool

    func out(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }
    func err(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }

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
            for link in a.chain { out(link.description + "\n") }
            if o.keys.isEmpty, let set = a.rrset {
                out(set.description + "\n")
            } else if let set = a.rrset {
                for k in o.keys {
                    let owner = "\(set.name)\t\(set.ttl)\tIN\tIPSECKEY\t"
                    switch format {
                    case .pem:
                        out("; \(owner)\(k)\n")
                        do { out(try k.pem()) } catch { err("ipseckey-verify: \(o.target): key not exportable: \(error)\n") }
                    case .libreswan:
                        out("\(set.name) gateway=\(gatewayText(k)) precedence=\(k.precedence) key=\(k.libreswanKey ?? "none")\n")
                    default:
                        out(owner + k.description + "\n")
                    }
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
    func recordJSON(_ r: ResourceRecord) -> [String: Any] {
        var d: [String: Any] = ["owner": r.name.description, "ttl": Int(r.ttl), "class": r.rrClass.description,
                                "type": r.type.description, "rdata": (try? r.parsed().description) ?? ""]
        if r.type == .ipseckey, let k = try? IPSecKey(rdata: r.rdata) {
            d["precedence"] = Int(k.precedence)
            d["gateway_type"] = Int(k.gateway.gatewayType)
            d["gateway"] = gatewayText(k)
            d["algorithm"] = Int(k.algorithm.code)
            d["key_type"] = k.kind.description
            d["public_key"] = TextEncoding.base64(k.publicKey)
        }
        return d
    }

    func jsonLine(_ o: Outcome) -> String {
        var obj: [String: Any] = ["target": o.target, "exit": Int(o.exit.rawValue)]
        if let a = o.answer {
            obj["name"] = a.question.name.description
            obj["type"] = a.question.type.description
            obj["verdict"] = a.verdict.rawValue
            obj["kind"] = a.kind.rawValue
            obj["final_name"] = a.finalName.description
            obj["wildcard"] = a.wildcard
            if let r = a.reason {
                var reason: [String: Any] = ["code": r.code.rawValue, "message": r.message]
                if let e = r.extendedError { reason["ede"] = Int(e) }
                obj["reason"] = reason
            }
            obj["chain"] = a.chain.flatMap { $0.records.map(recordJSON) }
            obj["records"] = a.verdict == .secure ? (a.rrset?.records.map(recordJSON) ?? []) : []
            if trace { obj["trace"] = a.trace.map { ["zone": $0.zone, "step": $0.text, "verdict": $0.verdict?.rawValue ?? ""] } }
        } else {
            obj["verdict"] = "error"
        }
        if let e = o.error { obj["error"] = e }
        obj["keys"] = o.keys.map { k -> [String: Any] in
            var d: [String: Any] = ["precedence": Int(k.precedence), "gateway": gatewayText(k),
                                    "algorithm": Int(k.algorithm.code), "key_type": k.kind.description]
            if let l = k.libreswanKey { d["libreswan"] = l }
            if let p = try? k.pem() { d["pem"] = p }
            return d
        }
        guard let data = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]),
              let s = String(data: data, encoding: .utf8) else { return "{}" }
        return s
    }
}
