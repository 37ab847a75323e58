import DNSModel
import Foundation
import Upstream

/// Upstream responses by question, kept for their (capped) TTL, with one in-flight query per question shared by
/// every concurrent lookup that needs it (no thundering herd). Bounded: the least recently used entries go first.
/// Entries are kept in wire form, as the upstream sent them (one allocation of a few hundred octets instead of a
/// tree of records), so that 100,000 cached answers stay well under 200 MiB; decoding a hit costs about 10 µs.
///
/// A lock, not an actor: a lookup calls `get` once per question, and an actor would cost two executor hops each
/// time (in, and out again to await the upstream) for a few dictionary operations.
final class ResponseCache: Sendable {
    typealias Waiter = CheckedContinuation<Result<Message, TransportError>?, Never>
    struct Entry { let wire: [UInt8]; let expires: Double; var lastUse: UInt64 }
    private struct State {
        var entries: [Question: Entry] = [:]
        /// Lookups waiting for a query already under way; nil tells a waiter to ask again (the asker was cancelled).
        var inflight: [Question: [Waiter]] = [:]
        var clock: UInt64 = 0
    }
    private let state = Locked(State())
    private let watch = WaiterWatch<Question>()
    let capacity: Int
    let maxTTL: UInt32

    init(capacity: Int, maxTTL: UInt32) { self.capacity = max(16, capacity); self.maxTTL = maxTTL }

    var count: Int { state.withLock { $0.entries.count } }
    /// Lookups waiting for the query of `q` under way (for tests).
    func waiterCount(_ q: Question) -> Int { state.withLock { $0.inflight[q]?.count ?? 0 } }

    /// Returns once `count` lookups wait for the query of `q` (for tests: awaited, not polled).
    func waiters(for q: Question, reaching count: Int) async {
        await watch.until(q, reaches: count) { waiterCount(q) }
    }

    private enum Look { case hit([UInt8]), wait, ask }

    func get(
        _ q: Question,
        fetch: @Sendable () async -> Result<ReceivedMessage, TransportError>
    ) async -> Result<Message, TransportError> {
        let wall = Date().timeIntervalSince1970
        let look = state.withLock { s -> Look in
            s.clock += 1
            if var e = s.entries[q] {
                if e.expires > wall {
                    e.lastUse = s.clock
                    s.entries[q] = e
                    return .hit(e.wire)
                }
                s.entries[q] = nil
            }
            if s.inflight[q] != nil { return .wait }
            s.inflight[q] = []
            return .ask
        }
        switch look {
        case .hit(let wire):
            // Stored only after it decoded once, so this succeeds; if it ever did not, the entry is dropped.
            if let message = try? Message(wire: wire) { return .success(message) }
            state.withLock { _ = $0.entries.removeValue(forKey: q) }
            return await get(q, fetch: fetch)
        case .wait:
            let shared: Result<Message, TransportError>? = await withCheckedContinuation { (c: Waiter) in
                let queued = state.withLock { s -> Int? in
                    guard s.inflight[q] != nil else { return nil }
                    s.inflight[q]!.append(c)
                    return s.inflight[q]!.count
                }
                guard let queued else { c.resume(returning: nil); return }  // the query ended between the two looks
                watch.note(q, waiting: queued)
            }
            if let shared { return shared }
            // The lookup that asked was cancelled (or finished just now): look again.
            return await get(q, fetch: fetch)
        case .ask:
            let fetched = await fetch()
            let result = fetched.map(\.message)
            var ttl: UInt32 = 0
            if case .success(let r) = fetched, r.message.rcode == .noError || r.message.rcode == .nxDomain {
                ttl = Self.ttl(of: r.message, cap: maxTTL)
            }
            let waiters = state.withLock { s -> [Waiter] in
                if ttl > 0, case .success(let r) = fetched {
                    if s.entries.count >= capacity { Self.evict(&s.entries) }
                    // The octets as they arrived (already compressed by the server): no second encoding.
                    s.entries[q] = Entry(wire: r.wire, expires: wall + Double(ttl), lastUse: s.clock)
                }
                return s.inflight.removeValue(forKey: q) ?? []
            }
            let cancelled = if case .failure(.cancelled) = result { true } else { false }
            for w in waiters { w.resume(returning: cancelled ? nil : result) }
            return result
        }
    }

    /// Replaces the cached answer to `q` with a fresh one (a lookup asked again), or drops it when the fresh one
    /// is not cacheable.
    func replace(_ q: Question, _ received: ReceivedMessage) {
        let m = received.message
        let ttl = m.rcode == .noError || m.rcode == .nxDomain ? Self.ttl(of: m, cap: maxTTL) : 0
        let wall = Date().timeIntervalSince1970
        state.withLock { s in
            s.clock += 1
            guard ttl > 0 else { s.entries[q] = nil; return }
            if s.entries[q] == nil && s.entries.count >= capacity { Self.evict(&s.entries) }
            s.entries[q] = Entry(wire: received.wire, expires: wall + Double(ttl), lastUse: s.clock)
        }
    }

    static func ttl(of m: Message, cap: UInt32) -> UInt32 {
        var ttl = cap
        for r in m.answers { ttl = min(ttl, r.ttl) }
        for r in m.authorities { ttl = min(ttl, r.ttl) }
        return m.answers.isEmpty && m.authorities.isEmpty ? 0 : ttl
    }

    /// Drops the least recently used tenth.
    private static func evict(_ entries: inout [Question: Entry]) {
        let drop = max(1, entries.count / 10)
        let victims = entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(drop).map(\.key)
        for k in victims { entries[k] = nil }
    }
}

/// Validated zone statuses (trusted DNSKEY sets with parsed keys, proven insecure delegations), by zone name,
/// until they expire (capped TTL and signature expiration). Bounded.
final class ZoneCache: Sendable {
    struct Entry: Sendable { let status: ChainVerdict; let expires: UInt32 }
    private let map = Locked<[DNSName: Entry]>([:])
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }

    func get(_ zone: DNSName, now: UInt32) -> ChainVerdict? {
        map.withLock { m in
            guard let e = m[zone] else { return nil }
            if SerialTime.lessOrEqual(e.expires, now) { m[zone] = nil; return nil }
            return e.status
        }
    }

    func put(_ zone: DNSName, _ status: ChainVerdict, expires: UInt32) {
        if status.verdict == .indeterminate { return }  // transient: never cached
        map.withLock { m in
            if m.count >= capacity { m.removeAll(keepingCapacity: true) }
            m[zone] = Entry(status: status, expires: expires)
        }
    }
}

/// One computation per key at a time: lookups that need a result another lookup is already computing wait for it
/// instead of repeating the work. Used for the steps of the chain of trust, so that a batch starting 64 lookups in a
/// cold zone validates its DNSKEY and DS sets once, not 64 times (the response cache already shares the queries).
final class Flights<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let waiting = Locked<[Key: [CheckedContinuation<Value?, Never>]]>([:])
    private let watch = WaiterWatch<Key>()

    /// Callers waiting for the run for `key` under way (for tests).
    func waiterCount(_ key: Key) -> Int { waiting.withLock { $0[key]?.count ?? 0 } }

    /// Returns once `count` callers wait for the run for `key` (for tests: awaited, not polled).
    func waiters(for key: Key, reaching count: Int) async {
        await watch.until(key, reaches: count) { waiterCount(key) }
    }

    /// Runs `work` for `key`, or waits for the run already under way and returns its result. A shared result that
    /// `redo` rejects (e.g. one cut short by the other lookup's own budget) is computed again by this caller.
    func run(_ key: Key, redo: (Value) -> Bool = { _ in false }, _ work: () async -> Value) async -> Value {
        let leads = waiting.withLock { w -> Bool in
            if w[key] == nil { w[key] = []; return true }
            return false
        }
        guard leads else {
            let shared: Value? = await withCheckedContinuation { c in
                let queued = waiting.withLock { w -> Int? in
                    guard w[key] != nil else { return nil }
                    w[key]!.append(c)
                    return w[key]!.count
                }
                guard let queued else { c.resume(returning: nil); return }  // the run ended between the two looks
                watch.note(key, waiting: queued)
            }
            if let value = shared, !redo(value) { return value }
            return await work()
        }
        let value = await work()
        let followers = waiting.withLock { $0.removeValue(forKey: key) ?? [] }
        for f in followers { f.resume(returning: value) }
        return value
    }
}

/// Lets a test await "n callers wait for this key" instead of polling a count. The validator never waits on it;
/// noting a waiter costs one lock when nobody watches.
final class WaiterWatch<Key: Hashable & Sendable>: Sendable {
    private let watchers = Locked<[(key: Key, count: Int, resume: CheckedContinuation<Void, Never>)]>([])

    /// `waiting` callers now wait for `key`: wakes every watcher of `key` asking for at most that many.
    func note(_ key: Key, waiting: Int) {
        let due = watchers.withLock { w -> [CheckedContinuation<Void, Never>] in
            guard !w.isEmpty else { return [] }
            let ready = w.filter { $0.key == key && $0.count <= waiting }.map(\.resume)
            w.removeAll { $0.key == key && $0.count <= waiting }
            return ready
        }
        for c in due { c.resume() }
    }

    /// Returns once `current()` has reached `count` for `key`: registered first, then checked, so a waiter noted
    /// in between is not missed; whichever side removes the watcher resumes it, once.
    func until(_ key: Key, reaches count: Int, current: () -> Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            watchers.withLock { $0.append((key, count, c)) }
            let now = current()
            guard now >= count else { return }
            note(key, waiting: now)
        }
    }
}

/// A count of background tasks under way that can be awaited until it reaches zero.
final class InFlightCount: Sendable {
    private struct State { var running = 0; var waiters: [CheckedContinuation<Void, Never>] = [] }
    private let state = Locked(State())

    func begin(_ n: Int) { state.withLock { $0.running += n } }

    func end() {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.running -= 1
            guard s.running == 0 else { return [] }
            let waiting = s.waiters
            s.waiters = []
            return waiting
        }
        for w in ready { w.resume() }
    }

    /// Returns when nothing is under way.
    func settled() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.running == 0 { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}
