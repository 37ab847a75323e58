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
    private var inflight: [Question: Task<Result<Message, TransportError>, Never>] = [:]
    private var clock: UInt64 = 0
    let capacity: Int
    let maxTTL: UInt32
    private(set) var hits = 0
    private(set) var misses = 0

    init(capacity: Int, maxTTL: UInt32) { self.capacity = max(16, capacity); self.maxTTL = maxTTL }

    var count: Int { entries.count }

    func get(_ q: Question, now _: UInt32,
             fetch: @escaping @Sendable () async -> Result<Message, TransportError>) async -> Result<Message, TransportError> {
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
        if let t = inflight[q] { hits += 1; return await t.value }
        misses += 1
        let task = Task { await fetch() }
        inflight[q] = task
        let result = await task.value
        inflight[q] = nil
        if case .success(let m) = result, m.rcode == .noError || m.rcode == .nxDomain {
            let ttl = Self.ttl(of: m, cap: maxTTL)
            if ttl > 0 {
                if entries.count >= capacity { evict() }
                entries[q] = Entry(wire: m.wire(), expires: wall + Double(ttl), lastUse: clock)
            }
        }
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
