import Foundation

/// A value guarded by a pthread mutex (through `NSLock`). Used instead of `Synchronization.Mutex`, whose futex-based
/// lock ThreadSanitizer cannot see on Linux: with this one, `Scripts/sanitize tsan` checks our shared state for real.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    public init(_ value: Value) { self.value = value }
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// A counting semaphore for async code: bounds how many queries hold a socket at once, so that thousands of
/// concurrent lookups queue instead of exhausting file descriptors.
final class AsyncSemaphore: Sendable {
    private struct State { var available: Int; var waiters: [CheckedContinuation<Void, Never>] = [] }
    private let state: Locked<State>
    init(_ count: Int) { state = Locked(State(available: max(1, count))) }

    func acquire() async {
        if state.withLock({ s in s.available > 0 ? { s.available -= 1; return true }() : false }) { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.available > 0 { s.available -= 1; return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty { s.available += 1; return nil }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
