import Foundation
import Synchronization
import SystemPackage

/// Why a stream could not take what was written to it.
enum OutputFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The reader went away (EPIPE), e.g. `ipseckey-verify --batch names.txt | head -1`.
    case readerGone
    /// Any other write error: ENOSPC (a full disk, `/dev/full`), EIO, EBADF (stdout closed)…
    case failed(Errno)

    var description: String {
        switch self {
        case .readerGone: "the reader of standard output went away"
        case .failed(let e): "cannot write to standard output: \(e.description)"
        }
    }
}

/// A file descriptor written completely and in order, or not at all: the CLI's only way to stdout and stderr.
///
/// Every string handed to `write` reaches the descriptor whole, in the order of the calls: bytes are appended to
/// one buffer and written under one lock by `FileDescriptor.writeAll`, which resumes after short writes and EINTR.
/// Buffered (batch output into a pipe or file), a block goes out at 64 KiB, or when what is held is more than a
/// quarter of a second old, so that a reader at the other end of a pipe still sees a slow batch progress. The first
/// failure is kept (`failure`) and everything after it is dropped; the caller decides the exit status. Nothing here
/// traps on an I/O error.
///
/// Earlier versions swapped the held buffer out with `defer { held = Held() }; return held.bytes` inside the lock's
/// closure: in optimised builds (Swift 6.3) that freed the returned array before it was written
/// (AddressSanitizer: heap-use-after-free), and batch output lost blocks or crashed. The buffer is now written
/// where it is held, and only emptied afterwards.
final class StandardOutput: Sendable {
    private struct State {
        var held: [UInt8] = []
        var since: ContinuousClock.Instant?
        var failure: OutputFailure?
    }
    private let state = Mutex(State())
    let descriptor: FileDescriptor
    let buffered: Bool
    static let blockSize = 64 * 1024
    static let maxAge = Duration.milliseconds(250)

    init(descriptor: FileDescriptor = .standardOutput, buffered: Bool) {
        self.descriptor = descriptor
        self.buffered = buffered
        // A descriptor inherited in non-blocking mode (a pipe shared with such a program) would fail with EAGAIN
        // whenever it is full; we block instead, as a filter should.
        let flags = fcntl(descriptor.rawValue, F_GETFL)
        if flags >= 0 && flags & O_NONBLOCK != 0 { _ = fcntl(descriptor.rawValue, F_SETFL, flags & ~O_NONBLOCK) }
    }

    /// Appends `text`; writes it (and whatever is held) now unless buffering says to wait.
    func write(_ text: String) {
        state.withLock { s in
            guard s.failure == nil else { return }
            s.held.append(contentsOf: text.utf8)
            guard buffered else { drain(&s); return }
            let now = ContinuousClock.now
            let since = s.since ?? now
            s.since = since
            if s.held.count >= Self.blockSize || now - since >= Self.maxAge { drain(&s) }
        }
    }

    /// Writes everything held.
    func flush() { state.withLock { drain(&$0) } }

    /// The first write failure, if any.
    var failure: OutputFailure? { state.withLock { $0.failure } }

    private func drain(_ s: inout State) {
        s.since = nil
        if !s.held.isEmpty && s.failure == nil {
            do {
                try descriptor.writeAll(s.held)
            } catch let e as Errno {
                s.failure = e == .brokenPipe ? .readerGone : .failed(e)
            } catch {
                s.failure = .failed(.ioError)
            }
        }
        s.held.removeAll(keepingCapacity: s.held.count <= 4 * Self.blockSize)
    }
}

/// Standard error, line by line. Its own failures have nowhere to be reported and are ignored.
let standardError = StandardOutput(descriptor: .standardError, buffered: false)
