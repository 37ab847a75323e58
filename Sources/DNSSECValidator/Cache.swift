import DNSModel
import DNSTransport
import Foundation

/// Upstream responses by question, kept for their (capped) TTL, with one in-flight query per question shared by
/// every concurrent lookup that needs it (no thundering herd). Bounded: the least recently used entries go first.
/// Entries are kept in wire form (one allocation of a few hundred octets instead of a tree of records), so that
/// 100,000 cached answers stay well under 200 MiB; decoding a hit costs about 10 µs.
actor ResponseCache {
    struct Entry { let wire: [UInt8]; let expires: Double; var lastUse: UInt64 }
    private var entries: [Question: Entry] = [:]
    /// Lookups waiting for a query already under way; nil tells a waiter to ask again (the asker was cancelled).
    private var inflight: [Question: [CheckedContinuation<Result<Message, TransportError>?, Never>]] = [:]
    private var clock: UInt64 = 0
    let capacity: Int
    let maxTTL: UInt32
    private(set) var hits = 0
    private(set) var misses = 0

    init(capacity: Int, maxTTL: UInt32) { self.capacity = max(16, capacity); self.maxTTL = maxTTL }

    var count: Int { entries.count }

    func get(_ q: Question, now _: UInt32,
             fetch: @Sendable () async -> Result<ReceivedMessage, TransportError>) async -> Result<Message, TransportError> {
        let wall = Date().timeIntervalSince1970
        clock += 1
        if var e = entries[q] {
            if e.expires > wall, let message = try? Message(wire: e.wire) {
                e.lastUse = clock
                entries[q] = e
                hits += 1
                return .success(message)
            }
            entries[q] = nil
        }
        if inflight[q] != nil {
            hits += 1
            let shared = await withCheckedContinuation { inflight[q, default: []].append($0) }
            if let shared { return shared }
            // The lookup that asked was cancelled: ask again (this caller may now be the one that asks).
            return await get(q, now: 0, fetch: fetch)
        }
        misses += 1
        inflight[q] = []
        let fetched = await fetch()
        let waiters = inflight.removeValue(forKey: q) ?? []
        if case .success(let r) = fetched, r.message.rcode == .noError || r.message.rcode == .nxDomain {
            let ttl = Self.ttl(of: r.message, cap: maxTTL)
            if ttl > 0 {
                if entries.count >= capacity { evict() }
                // The octets as they arrived (already compressed by the server): no second encoding.
                entries[q] = Entry(wire: r.wire, expires: wall + Double(ttl), lastUse: clock)
            }
        }
        let result = fetched.map(\.message)
        let cancelled = if case .failure(.cancelled) = result { true } else { false }
        for w in waiters { w.resume(returning: cancelled ? nil : result) }
        return result
    }

    static func ttl(of m: Message, cap: UInt32) -> UInt32 {
        let records = m.answers + m.authorities
        return min(records.map(\.ttl).min() ?? 0, cap)
    }

    private func evict() {
        let drop = max(1, entries.count / 10)
        let victims = entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(drop).map(\.key)
        for k in victims { entries[k] = nil }
    }

    func clear() { entries.removeAll() }
}

/// Validated zone statuses (trusted DNSKEY sets with parsed keys, proven insecure delegations), by zone name,
/// until they expire (capped TTL and signature expiration). Bounded.
final class ZoneCache: Sendable {
    struct Entry: Sendable { let status: ZoneStatus; let expires: UInt32 }
    private let map = Locked<[DNSName: Entry]>([:])
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }

    func get(_ zone: DNSName, now: UInt32) -> ZoneStatus? {
        map.withLock { m in
            guard let e = m[zone] else { return nil }
            if SerialTime.lessOrEqual(e.expires, now) { m[zone] = nil; return nil }
            return e.status
        }
    }

    func put(_ zone: DNSName, _ status: ZoneStatus, expires: UInt32) {
        switch status {
        case .indeterminate: return  // transient: never cached
        default: break
        }
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

    /// Runs `work` for `key`, or waits for the run already under way and returns its result. A shared result that
    /// `redo` rejects (e.g. one cut short by the other lookup's own budget) is computed again by this caller.
    func run(_ key: Key, redo: (Value) -> Bool = { _ in false }, _ work: () async -> Value) async -> Value {
        let leads = waiting.withLock { w -> Bool in
            if w[key] == nil { w[key] = []; return true }
            return false
        }
        guard leads else {
            let shared: Value? = await withCheckedContinuation { c in
                let queued = waiting.withLock { w -> Bool in
                    guard w[key] != nil else { return false }
                    w[key]!.append(c)
                    return true
                }
                if !queued { c.resume(returning: nil) }  // the run ended between the two looks
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
