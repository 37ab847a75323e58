import Foundation
import IPSecKeyResolver

/// One key of a secure answer on its way to a daemon: its position in the answer (export order, 1-based), its PEM
/// when exportable, the file it went to, or why it was not exported.
struct DeliveredKey: Sendable {
    let position: Int
    /// How many records the answer held (before `--expect-gateway`).
    let total: Int
    let key: IPSecKey
    let pem: String?
    let file: String?
    let refusal: String?

    /// `key 2 of 3 (precedence 10, gateway 192.0.2.38, RSA 2048-bit)`.
    var label: String {
        "key \(position) of \(total) (precedence \(key.precedence), gateway \(key.gatewayText), \(key.kind))"
    }
}

/// What the CLI does with a secure IPSECKEY answer beyond printing it: `--expect-gateway`, the export checks of
/// `--format pem|libreswan|swanctl`, and `--write-pubkey DIR`. Applied to each outcome before it is printed.
struct Delivery: Sendable {
    var expectGateway: String?
    var writeDirectory: String?
    var format: IPSecKeyVerify.OutputFormat = .text

    /// Whether keys must be exportable for this run (a daemon format or key files).
    var exporting: Bool { writeDirectory != nil || [.pem, .libreswan, .swanctl].contains(format) }
    var active: Bool { expectGateway != nil || exporting }

    /// The outcome with its keys filtered, checked and (with a directory) written. Only a secure IPSECKEY answer
    /// with records is touched; on any other verdict nothing is written.
    func apply(_ o: Outcome) -> Outcome {
        guard active, o.exit == .secure, !o.keys.isEmpty, let answer = o.answer else { return o }
        let all = IPSecKey.exportOrder(o.keys)
        let owner = answer.question.name
        var kept = all
        if let gw = expectGateway {
            kept = all.filter { $0.gatewayMatches(gw) }
            if kept.isEmpty {
                let seen = Set(all.map(\.gatewayText)).sorted().joined(separator: ", ")
                return o.with(
                    keys: [], delivered: [], exit: .noGatewayMatch,
                    error: "no IPSECKEY record at \(owner) has gateway \(gw) (the records name \(seen))")
            }
        }
        guard exporting else { return o.with(keys: kept, delivered: [], exit: .secure, error: nil) }
        var delivered: [DeliveredKey] = []
        var files: [String: String] = [:]
        for k in kept {
            let position = (all.firstIndex(of: k) ?? 0) + 1
            var refusal = k.exportRefusal
            if refusal == nil, format == .libreswan, k.libreswanDirective.name == nil {
                refusal = k.libreswanDirective.note
            }
            var pem: String? = nil
            if refusal == nil {
                do { pem = try k.exportablePEM() } catch { refusal = error.description }
            }
            var file: String? = nil
            if let pem, let dir = writeDirectory {
                let name = KeyFiles.fileName(owner: owner, precedence: k.precedence, position: position)
                files[name] = pem
                file = URL(fileURLWithPath: dir).appendingPathComponent(name).standardizedFileURL.path
            }
            delivered.append(
                DeliveredKey(position: position, total: all.count, key: k, pem: pem, file: file, refusal: refusal))
        }
        let usable = delivered.filter { $0.pem != nil }
        if usable.isEmpty {
            let why = delivered.map { "\($0.label): \($0.refusal ?? "")" }.joined(separator: "; ")
            return o.with(keys: kept, delivered: delivered, exit: .noExportableKey, error: "no exportable key: \(why)")
        }
        if let dir = writeDirectory {
            do { try KeyFiles.replace(dir: dir, owner: owner, with: files) } catch {
                return o.with(keys: kept, delivered: delivered, exit: .cannotCreate, error: error.description)
            }
        }
        return o.with(keys: kept, delivered: delivered, exit: .secure, error: nil)
    }
}

extension Outcome {
    func with(keys: [IPSecKey], delivered: [DeliveredKey], exit: Exit, error: String?) -> Outcome {
        var o = Outcome(
            target: target, answer: answer, authenticated: authenticated, keys: keys, error: error, exit: exit)
        o.delivered = delivered
        return o
    }
}
