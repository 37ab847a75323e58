import Upstream

/// A counting semaphore for async code: bounds how many queries hold a socket at once, so that thousands of
/// concurrent lookups queue instead of exhausting file descriptors.
final class AsyncSemaphore: Sendable {
    private struct State { var available: Int; var waiters: [CheckedContinuation<Void, Never>] = [] }
    private let state: Locked<State>
    init(_ count: Int) { state = Locked(State(available: max(1, count))) }

    func acquire() async {
        if state.withLock({ s in
            s.available > 0
                ? {
                    s.available -= 1; return true
                }() : false
        }) {
            return
        }
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
