import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

// Run Swift Concurrency's jobs on NIO's event loops: a lookup then hops between its tasks and its sockets on the
// same threads, without a thread switch per upstream query (see Docs/Performance.md).
if ProcessInfo.processInfo.environment["IPSECKEY_VERIFY_NIO_EXECUTOR"] != "0" {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}
await IPSecKeyVerify.start()
