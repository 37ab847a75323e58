import IPSecKeyResolver

/// The daemon formats of a secure answer: `pem` (strongSwan, OpenSSL), `libreswan` (ipsec.conf `right…=` lines)
/// and `swanctl` (a `remote` section for swanctl.conf naming the files of `--write-pubkey`). Every key is labelled
/// with its position, precedence and gateway, so that with several records nobody has to guess which key is
/// which; keys that were not exported are named on stderr with the reason.
enum DaemonFormats {
    struct Rendered { var stdout = ""; var stderr = "" }

    /// The text for a secure outcome with delivered keys, or nil when the format is not a daemon format.
    static func render(_ o: Outcome, format: IPSecKeyVerify.OutputFormat) -> Rendered? {
        guard [.pem, .libreswan, .swanctl].contains(format), let a = o.answer, !o.delivered.isEmpty else { return nil }
        let owner = a.question.name
        var r = Rendered()
        for d in o.delivered where d.pem == nil {
            r.stderr += "ipseckey-verify: \(o.target): \(d.label) not exported: \(d.refusal ?? "")\n"
        }
        let usable = o.delivered.filter { $0.pem != nil }
        if usable.count > 1 {
            r.stderr +=
                "ipseckey-verify: \(o.target): \(usable.count) keys; each is labelled, pick one with "
                + "--expect-gateway or use the files of --write-pubkey\n"
        }
        let verdict = "secure: \(a.finalName) \(a.question.type)\(a.wildcard ? " (wildcard)" : "")"
        switch format {
        case .pem:
            for d in usable {
                r.stdout += "# \(owner) \(d.label)\(d.file.map { ": \($0)" } ?? "")\n"
                r.stdout += d.pem ?? ""
            }
            r.stdout += "# \(verdict)\n"
        case .libreswan:
            for d in o.delivered {
                let (directive, note) = d.key.libreswanDirective
                r.stdout += "# \(owner) \(d.label)\(note.map { ": \($0)" } ?? "")\n"
                let value = d.key.libreswanKey ?? ""
                if d.pem != nil, let directive {
                    r.stdout += "\(directive)=\(value)\n"
                } else {
                    r.stdout += "# not loadable by libreswan: \(d.refusal ?? note ?? "not exported") \(value)\n"
                }
            }
            r.stdout += "# \(verdict)\n"
        case .swanctl:
            r.stdout += swanctl(owner: owner, keys: usable) + "# \(verdict)\n"
        default:
            return nil
        }
        return r
    }

    /// One `remote` section per gateway (strongSwan takes the peer's identity from `id`; the pubkeys listed are
    /// the candidates for that peer). Keys without a gateway go in a section without `id`.
    static func swanctl(owner: DNSName, keys: [DeliveredKey]) -> String {
        var groups: [(gateway: String, keys: [DeliveredKey])] = []
        for d in keys {
            let g = d.key.gatewayText
            if let i = groups.firstIndex(where: { $0.gateway == g }) {
                groups[i].keys.append(d)
            } else {
                groups.append((g, [d]))
            }
        }
        var text = ""
        for group in groups {
            text += "# \(owner): " + group.keys.map(\.label).joined(separator: ", ") + "\n"
            text += "remote {\n    auth = pubkey\n"
            if group.gateway != "." {
                let id = group.gateway.hasSuffix(".") ? String(group.gateway.dropLast()) : group.gateway
                text += "    id = \(id)\n"
            }
            let files = group.keys.map { $0.file ?? "" }.joined(separator: ", ")
            text += "    pubkeys = \(files)\n}\n"
        }
        return text
    }
}
