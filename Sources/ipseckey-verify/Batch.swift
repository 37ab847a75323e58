import Foundation
import IPSecKeyResolver
import Synchronization

/// Batch mode: names read from a file or stdin as they are needed, resolved with bounded concurrency, printed in
/// input order as soon as every name before them is done.
///
/// Memory stays bounded whatever the input size: at most `concurrency` lookups run, and at most `window` finished
/// outcomes wait for a slower name before them (no new lookup starts while the window is full).
struct BatchRunner {
    let resolver: Resolver
    let output: Output
    let type: RRType
    let concurrency: Int
    /// `--expect-gateway`, export checks and `--write-pubkey` (Delivery.swift), applied before printing.
    var delivery = Delivery()

    /// How the batch ended, besides the verdicts.
    enum Stop: Equatable { case signal(Int32), output(OutputFailure) }

    var window: Int { max(4 * concurrency, 256) }

    func run(path: String) async -> Exit {
        guard let source = LineSource(path: path) else {
            if !output.quiet { output.err("ipseckey-verify: cannot open batch file \(path)\n") }
            return .noInput
        }
        let total = isatty(2) == 1 && !output.quiet ? LineSource.countTargets(path: path) : nil
        let progress = isatty(2) == 1 && !output.quiet ? ProgressBar(total: total) : nil

        // SIGINT/SIGTERM cancel the batch: no new lookup starts, lookups under way are cancelled, and every
        // outcome already complete is written before the process exits 130/143.
        let signalled = Atomic<Int32>(0)
        let job = Task { await loop(source, progress) }
        let watch = SignalWatch([SIGINT, SIGTERM]) { signo in
            signalled.store(signo, ordering: .relaxed)
            job.cancel()
        }
        var (worst, stop) = await job.value
        watch.stop()
        if stop == nil, case let signo = signalled.load(ordering: .relaxed), signo != 0 { stop = .signal(signo) }
        if stop == nil, let failure = output.failure { stop = .output(failure) }
        if let read = source.error, stop == nil {
            output.err("ipseckey-verify: reading batch file \(path): \(read)\n")
            worst = max(worst, .noInput)
        }
        switch stop {
        case nil: return worst
        case .signal(let signo): return signo == SIGTERM ? .terminated : .interrupted
        case .output(.readerGone): return .readerGone
        case .output(let failure):
            output.err("ipseckey-verify: \(failure)\n")
            return .ioError
        }
    }

    private func loop(_ source: LineSource, _ progress: ProgressBar?) async -> (Exit, Stop?) {
        let started = ContinuousClock.now
        var lastDrawn = started
        var worst = Exit.secure
        var finished: [Int: Outcome] = [:]  // done, waiting for a name before them
        var nextToPrint = 0
        var started_ = 0  // lookups started (= index of the next name)
        var done = 0
        var inputEnded = false
        var stop: Stop?
        let trace = output.trace

        /// Writes every finished outcome whose predecessors are all written.
        func printReady() {
            while let o = finished.removeValue(forKey: nextToPrint) {
                output.emit(o)
                nextToPrint += 1
                if let failure = output.failure { stop = .output(failure); return }
            }
        }

        await withTaskGroup(of: (Int, Outcome?).self) { group in
            var running = 0
            func fill() {
                while stop == nil, !inputEnded, !Task.isCancelled, running < concurrency,
                    started_ - nextToPrint < window
                {
                    guard let target = source.next() else { inputEnded = true; return }
                    let i = started_
                    group.addTask { [resolver, type] in
                        let o = await Lookup.run(resolver: resolver, text: target, type: type, trace: trace)
                        // A lookup cut short by an interrupt is not a result.
                        return (i, Task.isCancelled && o.exit == .indeterminate ? nil : o)
                    }
                    started_ += 1
                    running += 1
                }
            }
            fill()
            while let (i, outcome) = await group.next() {
                running -= 1
                done += 1
                if let outcome {
                    let outcome = delivery.apply(outcome)
                    finished[i] = outcome
                    worst = max(worst, outcome.exit)
                } else {
                    finished[i] = nil
                }
                if stop == nil && !Task.isCancelled { printReady() }
                if let progress, done == started_ && inputEnded || ContinuousClock.now - lastDrawn >= .milliseconds(100)
                {
                    lastDrawn = ContinuousClock.now
                    let elapsed = (lastDrawn - started) / .seconds(1)
                    output.err(progress.line(done: done, elapsed: elapsed))
                }
                if stop != nil || Task.isCancelled {
                    group.cancelAll()
                } else {
                    fill()
                }
            }
        }
        if progress != nil && done > 0 { output.err("\n") }
        // Interrupted: what completed is still written, in input order, skipping names cut short.
        if stop == nil {
            for (_, outcome) in finished.sorted(by: { $0.key < $1.key }) {
                output.emit(outcome)
                if let failure = output.failure { stop = .output(failure); break }
            }
        }
        output.flush()
        if stop == nil, let failure = output.failure { stop = .output(failure) }
        return (worst, stop)
    }
}

/// Batch input, one target per line, read in 64 KiB blocks as it is needed. Blank lines and `#` comments are
/// skipped, surrounding white space (and a CR before the LF) is trimmed. A line longer than `maxLine` octets is
/// cut there (it cannot be a name, and fails as one), so no input makes the buffer grow without bound.
final class LineSource: @unchecked Sendable {
    // Only ever used by the one batch loop task.
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// A read error, after which the source ends.
    private(set) var error: String?
    static let maxLine = 4096

    init?(path: String) {
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let h = FileHandle(forReadingAtPath: path) else { return nil }
            handle = h
        }
    }

    /// The next target, or nil at the end of the input.
    func next() -> String? {
        while true {
            if let line = nextLine() {
                let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if text.isEmpty || text.hasPrefix("#") { continue }
                return text
            }
            return nil
        }
    }

    private func nextLine() -> ArraySlice<UInt8>? {
        while true {
            let end = min(buffer.count, start + Self.maxLine)
            if let nl = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                defer { start = nl + 1 }
                return buffer[start..<nl]
            }
            if end - start >= Self.maxLine {
                defer { start = end }
                return buffer[start..<end]
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                return buffer[start..<buffer.count]
            }
            if start > 0 { buffer.removeSubrange(0..<start); start = 0 }
            do {
                if let data = try handle.read(upToCount: 64 * 1024), !data.isEmpty {
                    buffer.append(contentsOf: data)
                } else {
                    atEnd = true
                }
            } catch {
                self.error = "\(error.localizedDescription)"
                atEnd = true
            }
        }
    }

    /// The number of targets in a regular file, counted by streaming through it (for the progress bar); nil for
    /// stdin or anything that cannot be read twice.
    static func countTargets(path: String) -> Int? {
        guard path != "-", let source = LineSource(path: path) else { return nil }
        var n = 0
        while source.next() != nil { n += 1 }
        return source.error == nil ? n : nil
    }
}

/// Calls `handler` (on a Dispatch queue) when one of `signals` arrives, instead of the default action; `stop`
/// restores the defaults.
final class SignalWatch: Sendable {
    private let sources: Mutex<[DispatchSourceSignal]>
    private let signals: [Int32]

    init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        var made: [DispatchSourceSignal] = []
        for signo in signals {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { handler(signo) }
            source.resume()
            made.append(source)
        }
        sources = Mutex(made)
    }

    func stop() {
        sources.withLock { list in
            for s in list { s.cancel() }
            list.removeAll()
        }
        for signo in signals { signal(signo, SIG_DFL) }
    }
}

/// The batch progress line shown on a terminal (stderr): a bar, the share done, the count, the rate and the time
/// left, redrawn in place with a carriage return. Without a known total (stdin), the count and the rate.
struct ProgressBar {
    let total: Int?
    var width = 30

    func line(done: Int, elapsed: Double) -> String {
        var text: String
        if let total {
            let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            text = "\r[\(bar)] \(Int(fraction * 100))% \(done)/\(total)"
        } else {
            text = "\r\(done) names"
        }
        if elapsed > 0 && done > 0 {
            let rate = Double(done) / elapsed
            text += " \(Int(rate.rounded())) names/s"
            if let total, done < total { text += ", \(Self.clock(Double(total - done) / rate)) left" }
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
