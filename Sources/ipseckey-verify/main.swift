// Swift Concurrency's default executor runs the lookups; NIO's event loops run the sockets. Moving the lookups
// onto the event loops (NIO's global-executor hook, or a per-task executor preference) was measured slower on two
// cores; see Docs/Architecture.md.
await IPSecKeyVerify.start()
