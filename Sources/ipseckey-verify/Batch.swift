import DNSModel
import Foundation
import IPSecKeyResolver

/// Batch mode: names from a file or stdin, resolved with bounded concurrency, printed in input order.
struct BatchRunner {
    let resolver: Resolver
    let output: Output
    let type: RRType
    let concurrency: Int

    func run(path: String) async throws -> Exit {
        let text: String
        if path == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                if !output.quiet { output.err("ipseckey-verify: cannot open batch file \(path)\n") }
                return .noInput
            }
            text = String(decoding: data, as: UTF8.self)
        }
        let targets = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        let progress = isatty(2) == 1 && !output.quiet
        var worst = Exit.secure
        var results = [Outcome?](repeating: nil, count: targets.count)
        var nextToPrint = 0
        var done = 0
        await withTaskGroup(of: (Int, Outcome).self) { group in
            var index = 0
            func addNext() {
                guard index < targets.count else { return }
                let i = index, t = targets[i]
                let trace = output.trace
                group.addTask { [resolver, type] in (i, await Lookup.run(resolver: resolver, target: t, type: type, trace: trace)) }
                index += 1
            }
            for _ in 0..<min(concurrency, targets.count) { addNext() }
            while let (i, outcome) = await group.next() {
                results[i] = outcome
                done += 1
                worst = max(worst, outcome.exit)
                while nextToPrint < results.count, let o = results[nextToPrint] {
                    output.emit(o)
                    results[nextToPrint] = nil
                    nextToPrint += 1
                }
                if progress && (done % 50 == 0 || done == targets.count) {
                    output.err("\r[\(done)/\(targets.count)] \(done * 100 / max(1, targets.count))%" + (done == targets.count ? "\n" : ""))
                }
                addNext()
            }
        }
        output.flush()
        return worst
    }
}
