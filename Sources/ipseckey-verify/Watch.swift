import Foundation
import IPSecKeyResolver

/// Time for `--watch`, in unix seconds: the real clock, or a test's.
protocol WatchClock: Sendable {
    func now() -> UInt32
    /// Sleeps until `time` or for at most `limit` seconds, whichever is sooner (so signals are noticed).
    func sleep(until time: UInt32, limit: UInt32) async throws
}

struct SystemClock: WatchClock {
    func now() -> UInt32 { UInt32(clamping: Int(Date().timeIntervalSince1970)) }
    func sleep(until time: UInt32, limit: UInt32) async throws {
        let wait = min(Int64(time) - Int64(now()), Int64(limit))
        if wait > 0 { try await Task.sleep(for: .seconds(wait)) } else { try await Task.sleep(for: .milliseconds(50)) }
    }
}

/// What one lookup of a watched name showed, reduced to what the watcher acts on.
enum WatchObservation: Sendable, Equatable {
    /// A secure answer: the key files it calls for (file name → PEM), its TTL and its signatures' earliest expiry.
    case secure(files: [String: String], ttl: UInt32, expires: UInt32)
    /// Proven: the name or its IPSECKEY RRset does not exist, or its secure records leave no usable key.
    case denied(String)
    /// Insecure, bogus or indeterminate: nothing new is proven.
    case failed(String)
}

/// The state of one watched name.
struct WatchedName: Sendable, Equatable {
    var owner: DNSName
    /// The files last written from a secure answer (nil: none known).
    var files: [String: String]?
    /// When the signatures that proved `files` expire (nil: unknown, e.g. files found at start-up).
    var proofExpires: UInt32?
    var nextCheck: UInt32 = 0
}

/// The watch decisions, free of I/O: given a name's state, what a lookup showed and the time, the new state and
/// what to do with the files. The runner performs the file operations and runs the change command.
struct WatchPolicy: Sendable {
    /// Never ask again sooner than this (a zero TTL must not make a busy loop).
    var minimumInterval: UInt32 = 5
    /// After a failure, ask again this soon (or at the proof's expiry, if sooner).
    var retryInterval: UInt32 = 60
    /// After a denial, ask again this late.
    var denialInterval: UInt32 = 300

    enum FileAction: Sendable, Equatable { case none, write([String: String]), remove }

    struct Step: Sendable, Equatable {
        var state: WatchedName
        var action: FileAction
        /// A line for the log, when something changed (or is about to).
        var transition: String?
    }

    /// When to look again after a secure answer: before the earlier of the TTL and the signatures' expiry, with a
    /// tenth of that time (at least a second) to spare.
    func refresh(now: UInt32, ttl: UInt32, expires: UInt32) -> UInt32 {
        let untilExpiry = expires &- now
        let horizon = Int32(bitPattern: untilExpiry) > 0 ? min(ttl, untilExpiry) : 0
        let early = horizon > 0 ? horizon - max(1, horizon / 10) : 0
        return now &+ max(minimumInterval, early)
    }

    func step(_ s: WatchedName, _ observation: WatchObservation, now: UInt32) -> Step {
        var state = s
        switch observation {
        case let .secure(files, ttl, expires):
            state.proofExpires = expires
            state.nextCheck = refresh(now: now, ttl: ttl, expires: expires)
            if s.files == files { return Step(state: state, action: .none, transition: nil) }
            state.files = files
            let what =
                s.files == nil
                ? "secure: \(files.count) key file(s) written"
                : "secure: key set changed, \(files.count) key file(s) written"
            return Step(state: state, action: .write(files), transition: what)
        case .denied(let reason):
            state.nextCheck = now &+ max(minimumInterval, denialInterval)
            state.proofExpires = nil
            guard s.files != nil else { return Step(state: state, action: .none, transition: nil) }
            state.files = nil
            return Step(state: state, action: .remove, transition: "denied (\(reason)): key files removed")
        case .failed(let reason):
            return expire(s, now: now, reason: reason)
        }
    }

    /// Without a new proof: keep the files until the signatures that proved them expire, then remove them.
    func expire(_ s: WatchedName, now: UInt32, reason: String?) -> Step {
        var state = s
        guard s.files != nil, let expires = s.proofExpires else {
            state.nextCheck = now &+ max(minimumInterval, retryInterval)
            let note =
                s.files != nil
                ? "\(reason ?? "no answer"); keeping the key files found at start-up until a secure answer" : nil
            return Step(state: state, action: .none, transition: note.map { "not validated (\($0))" })
        }
        if SerialTime.lessOrEqual(expires, now) {
            state.files = nil
            state.proofExpires = nil
            state.nextCheck = now &+ max(minimumInterval, retryInterval)
            return Step(
                state: state, action: .remove,
                transition:
                    "\(reason.map { "not validated (\($0)); " } ?? "")the signatures that proved the keys expired: "
                    + "key files removed"
            )
        }
        let remaining = expires &- now
        state.nextCheck = now &+ max(1, min(remaining, max(minimumInterval, retryInterval)))
        return Step(
            state: state, action: .none,
            transition: reason.map {
                "not validated (\($0)); keeping the last good key files until \(DNSTime.iso8601(UInt64(expires)))"
            })
    }
}

/// The `--watch` loop: looks up each due name, applies the policy, writes or removes files, runs the change
/// command once per round in which files changed.
final class WatchRunner: @unchecked Sendable {
    let directory: String
    let policy: WatchPolicy
    let clock: any WatchClock
    let logger: Logger
    let lookup: @Sendable (String) async -> WatchObservation
    let onChange: (@Sendable () async -> Void)?
    /// Target text → state. Touched only from the loop's task.
    private(set) var names: [String: WatchedName] = [:]

    init(
        directory: String, policy: WatchPolicy = WatchPolicy(), clock: any WatchClock, logger: Logger,
        lookup: @escaping @Sendable (String) async -> WatchObservation, onChange: (@Sendable () async -> Void)?
    ) {
        self.directory = directory; self.policy = policy; self.clock = clock; self.logger = logger
        self.lookup = lookup; self.onChange = onChange
    }

    /// Sets the watched names (at start and on SIGHUP). New names are due at once; names no longer listed have
    /// their key files removed, since nothing keeps them fresh any more. Returns whether files changed.
    @discardableResult
    func setTargets(_ targets: [(String, DNSName)]) -> Bool {
        var changed = false
        let wanted = Set(targets.map(\.0))
        for (t, s) in names where !wanted.contains(t) {
            names[t] = nil
            if (try? KeyFiles.removeAll(dir: directory, owner: s.owner)) == true {
                changed = true
                logger.notice("\(t): no longer watched: key files removed")
            }
        }
        for (t, owner) in targets where names[t] == nil {
            let found = KeyFiles.existing(dir: directory, owner: owner)
            names[t] = WatchedName(owner: owner, files: found.isEmpty ? nil : found, proofExpires: nil, nextCheck: 0)
        }
        return changed
    }

    /// The earliest time anything is due: a check or a proof's expiry.
    var nextWake: UInt32 {
        names.values.map { s in
            if let e = s.proofExpires, s.files != nil, Int32(bitPattern: e &- s.nextCheck) < 0 { return e }
            return s.nextCheck
        }.min() ?? clock.now() &+ 3600
    }

    /// One round: every name whose check is due is looked up (one at a time, in name order); names whose proof
    /// expired meanwhile lose their files. Runs the change command once if files changed. Returns whether they did.
    @discardableResult
    func round() async -> Bool {
        var changed = false
        for t in names.keys.sorted() {
            guard let s = names[t] else { continue }
            let now = clock.now()
            let step: WatchPolicy.Step
            if SerialTime.lessOrEqual(s.nextCheck, now) {
                step = policy.step(s, await lookup(t), now: clock.now())
            } else if let e = s.proofExpires, s.files != nil, SerialTime.lessOrEqual(e, now) {
                step = policy.expire(s, now: now, reason: nil)
            } else {
                continue
            }
            if perform(step.action, for: t, owner: s.owner) { changed = true }
            if let line = step.transition { logger.notice("\(t): \(line)") }
            names[t] = step.state
        }
        if changed, let onChange { await onChange() }
        return changed
    }

    /// Writes or removes files; a failure is logged and the name retried soon.
    private func perform(_ action: WatchPolicy.FileAction, for target: String, owner: DNSName) -> Bool {
        do {
            switch action {
            case .none: return false
            case .write(let files): return try KeyFiles.replace(dir: directory, owner: owner, with: files)
            case .remove: return try KeyFiles.removeAll(dir: directory, owner: owner)
            }
        } catch {
            logger.error("\(target): \(error)")
            names[target]?.nextCheck = clock.now() &+ policy.minimumInterval
            return false
        }
    }

    /// Rounds until the task is cancelled; `reload` (SIGHUP) is checked between rounds and sleeps.
    func run(reload: @Sendable () -> [(String, DNSName)]?) async {
        while !Task.isCancelled {
            if let targets = reload() {
                logger.notice("name list re-read: \(targets.count) name(s)")
                if setTargets(targets), let onChange { await onChange() }
            }
            await round()
            do { try await clock.sleep(until: nextWake, limit: 1) } catch { break }
        }
    }
}

extension IPSecKeyVerify {
    /// The names to watch: the arguments (parsed already) and, with --batch, the lines of the file (re-read on
    /// SIGHUP), each parsed here once.
    static func watchTargets(_ targets: [Target], batch: String?) throws -> [Target] {
        var list = targets
        if let batch {
            guard let data = FileManager.default.contents(atPath: batch) else {
                throw KeyFileError(description: "cannot open batch file \(batch)")
            }
            let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
            for t in lines {
                do { list.append(Target(text: t, target: try LookupTarget(parsing: t))) } catch {
                    throw KeyFileError(description: "'\(t)' is neither a domain name nor an address")
                }
            }
        }
        var out: [Target] = []
        for t in list where !out.contains(where: { $0.text == t.text }) { out.append(t) }
        return out
    }

    /// What a lookup shows the watcher: key files for a secure answer (after --expect-gateway and the export
    /// checks), a denial when nothing usable is proven, a failure otherwise.
    static func observe(_ o: Outcome) -> WatchObservation {
        switch o.exit {
        case .secure:
            guard let a = o.answer, let life = SecureAnswerLifetime(a) else {
                return .failed("secure answer without signatures")
            }
            var files: [String: String] = [:]
            for d in o.delivered {
                if let pem = d.pem {
                    files[
                        KeyFiles.fileName(owner: a.question.name, precedence: d.key.precedence, position: d.position)] =
                        pem
                }
            }
            return .secure(files: files, ttl: life.ttl, expires: life.signatureExpiration)
        case .denial, .noGatewayMatch, .noExportableKey: return .denied(o.error ?? "no usable key")
        default: return .failed("\(o.answer?.verdict.rawValue ?? "error"): \(o.error ?? "no reason")")
        }
    }

    func runWatch(resolver: Resolver, logger: Logger) async throws -> Exit {
        guard let dir = writePubkey else { return .usage }
        let initial: [Target]
        do { initial = try Self.watchTargets(targets, batch: batch) } catch {
            if !quiet { FileHandle.standardError.write(Data("ipseckey-verify: \(error)\n".utf8)) }
            return batch != nil ? .noInput : .usage
        }
        var watchLogger = logger
        watchLogger.logLevel = verbose ? .debug : (quiet ? .error : .notice)
        let log = watchLogger
        let delivery = Delivery(expectGateway: expectGateway, writeDirectory: nil, format: .pem)
        // The runner names targets by their text; the parsed values stay here, replaced when the list is re-read.
        let parsed = Locked(Dictionary(initial.map { ($0.text, $0) }, uniquingKeysWith: { a, _ in a }))
        let lookup: @Sendable (String) async -> WatchObservation = { text in
            guard let target = parsed.withLock({ $0[text] }) else { return .failed("'\(text)' is not on the list") }
            let outcome = await Lookup.run(resolver: resolver, target: target, type: .ipseckey, trace: false)
            return Self.observe(delivery.apply(outcome))
        }
        var change: (@Sendable () async -> Void)? = nil
        if let cmd = onChange { change = { await Self.runChangeCommand(cmd, logger: log) } }
        let runner = WatchRunner(directory: dir, clock: SystemClock(), logger: log, lookup: lookup, onChange: change)
        runner.setTargets(initial.map { ($0.text, $0.target.queryName) })

        // SIGTERM/SIGINT cancel the loop; SIGHUP asks for the list to be read again before the next round.
        let hangup = Locked(false)
        let (names, batchFile) = (targets, batch)
        let reload: @Sendable () -> [(String, DNSName)]? = {
            guard
                hangup.withLock({ h -> Bool in
                    let was = h
                    h = false
                    return was
                })
            else { return nil }
            do {
                let list = try Self.watchTargets(names, batch: batchFile)
                parsed.withLock { $0 = Dictionary(list.map { ($0.text, $0) }, uniquingKeysWith: { a, _ in a }) }
                return list.map { ($0.text, $0.target.queryName) }
            } catch {
                log.error("SIGHUP: \(error); keeping the old list")
                return nil
            }
        }
        let loop = Task { await runner.run(reload: reload) }
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if sig == SIGHUP {
                    hangup.withLock { $0 = true }
                } else {
                    log.notice("signal \(sig): stopping")
                    loop.cancel()
                }
            }
            source.resume()
            sources.append(source)
        }
        await loop.value
        for s in sources { s.cancel() }
        return .secure
    }

    /// Runs CMD with /bin/sh -c and waits for it; its status is logged.
    static func runChangeCommand(_ cmd: String, logger: Logger) async {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", cmd]
        do {
            try p.run()
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    p.waitUntilExit(); c.resume()
                }
            }
            if p.terminationStatus == 0 {
                logger.notice("--on-change command ran")
            } else {
                logger.warning("--on-change command exited with \(p.terminationStatus)")
            }
        } catch {
            logger.error("--on-change command could not start: \(error)")
        }
    }
}
