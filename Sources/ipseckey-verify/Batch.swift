import DNSModel
import Foundation
import IPSecKeyResolver

/// Batch mode: names from a file or stdin, resolved with bounded concurrency, printed in input order.
struct BatchRunner {
    let resolver: Resolver
    let output: Output
    let type: RRType
    let concurrency: Int
    /// `--expect-gateway`, export checks and `--write-pubkey` (Delivery.swift), applied before printing.
    var delivery = Delivery()

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
        let progress = isatty(2) == 1 && !output.quiet ? ProgressBar(total: targets.count) : nil
        let started = ContinuousClock.now
        var lastDrawn = started
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
                let outcome = delivery.apply(outcome)
                results[i] = outcome
                done += 1
                worst = max(worst, outcome.exit)
                while nextToPrint < results.count, let o = results[nextToPrint] {
                    output.emit(o)
                    results[nextToPrint] = nil
                    nextToPrint += 1
                }
                // Redrawn at most ten times a second, and once at the end.
                if let progress, done == targets.count || ContinuousClock.now - lastDrawn >= .milliseconds(100) {
                    lastDrawn = ContinuousClock.now
                    let elapsed = (lastDrawn - started) / .seconds(1)
                    output.err(progress.line(done: done, elapsed: elapsed) + (done == targets.count ? "\n" : ""))
                }
                addNext()
            }
        }
        output.flush()
        return worst
    }
}

/// The batch progress line shown on a terminal (stderr): a bar, the share done, the count, the rate and the time
/// left, redrawn in place with a carriage return.
struct ProgressBar {
    let total: Int
    var width = 30

    func line(done: Int, elapsed: Double) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var text = "\r[\(bar)] \(Int(fraction * 100))% \(done)/\(total)"
        if elapsed > 0 && done > 0 {
            let rate = Double(done) / elapsed
            text += " \(Int(rate.rounded())) names/s"
            if done < total { text += ", \(Self.clock(Double(total - done) / rate)) left" }
        }
        return text + "\u{1B}[K"  // clear what a longer previous line left behind
    }

    /// 75 → "1:15", 3725 → "1:02:05".
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(h):\(two(m)):\(two(sec))" : "\(m):\(two(sec))"
    }
}
