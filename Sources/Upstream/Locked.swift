import Foundation

/// A value guarded by a pthread mutex (through `NSLock`). Used instead of `Synchronization.Mutex`, whose futex-based
/// lock ThreadSanitizer cannot see on Linux: with this one, `Scripts/sanitize tsan` checks our shared state for real.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    /// A box holding `value`.
    public init(_ value: Value) { self.value = value }
    /// Runs `body` on the value with the lock held.
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
