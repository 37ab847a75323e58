import DNSModel
import DNSSECValidator
import DNSTransport
import Foundation
import IPSecKeyResolver
import Logging
import TestAuthority
import Testing

@testable import ipseckey_verify

/// A clock the test moves by hand.
final class FakeClock: WatchClock, Sendable {
    private let time: Locked<UInt32>
    init(_ t: UInt32) { time = Locked(t) }
    func now() -> UInt32 { time.withLock { $0 } }
    func set(_ t: UInt32) { time.withLock { $0 = t } }
    func sleep(until time: UInt32, limit: UInt32) async throws { try Task.checkCancellation() }
}

/// Lookup results the test scripts, and a count of lookups and change-command runs.
final class Script: Sendable {
    let next = Locked<[String: WatchObservation]>([:])
    let lookups = Locked(0)
    let changes = Locked(0)
    func set(_ name: String, _ o: WatchObservation) { next.withLock { $0[name] = o } }
}

@Suite struct WatchTests {
    let t0: UInt32 = 1_800_000_000
    let owner = try! DNSName("gw.example.net.")

    func runner(_ dir: String, _ clock: FakeClock, _ script: Script) -> WatchRunner {
        WatchRunner(
            directory: dir, clock: clock, logger: Logger(label: "watch-test"),
            lookup: { t in
                script.lookups.withLock { $0 += 1 }; return script.next.withLock { $0[t] } ?? .failed("no script")
            },
            onChange: { script.changes.withLock { $0 += 1 } })
    }

    @Test func refreshBeforeTheEarlierOfTTLAndExpiry() {
        let p = WatchPolicy()
        #expect(p.refresh(now: t0, ttl: 300, expires: t0 + 86400) == t0 + 270)
        #expect(p.refresh(now: t0, ttl: 86400, expires: t0 + 1000) == t0 + 900)
        #expect(p.refresh(now: t0, ttl: 0, expires: t0 + 1000) == t0 + 5)  // never a busy loop
        #expect(p.refresh(now: t0, ttl: 300, expires: t0 - 10) == t0 + 5)  // already expired: soon
    }

    @Test func policyTransitions() {
        let p = WatchPolicy()
        let empty = WatchedName(owner: owner)
        let files = ["gw.example.net.p10.1.pem": "A"]
        let s1 = p.step(empty, .secure(files: files, ttl: 60, expires: t0 + 600), now: t0)
        #expect(s1.action == .write(files))
        #expect(s1.state.proofExpires == t0 + 600)
        // Same key set again: nothing to do.
        let s2 = p.step(s1.state, .secure(files: files, ttl: 60, expires: t0 + 700), now: t0 + 54)
        #expect(s2.action == .none)
        #expect(s2.state.proofExpires == t0 + 700)
        // Bogus before expiry: keep; after expiry: remove.
        let s3 = p.step(s2.state, .failed("bogus"), now: t0 + 100)
        #expect(s3.action == .none)
        #expect(s3.state.files == files)
        #expect(s3.state.nextCheck <= t0 + 700)
        let s4 = p.step(s3.state, .failed("bogus"), now: t0 + 700)
        #expect(s4.action == .remove)
        #expect(s4.state.files == nil)
        // Denial: at once.
        let s5 = p.step(s1.state, .denied("NXDOMAIN"), now: t0 + 10)
        #expect(s5.action == .remove)
    }

    /// A key rollover rewrites the file and runs the command once; a bogus period keeps the old key until its
    /// signatures expire, then removes it and runs the command; a denial removes at once.
    @Test func rolloverBogusPeriodAndDenial() async throws {
        let dir = try temporaryDirectory("watch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = FakeClock(t0)
        let script = Script()
        let w = runner(dir, clock, script)
        w.setTargets([("gw.example.net", owner)])
        let name = "gw.example.net.p10.1.pem"

        script.set("gw.example.net", .secure(files: [name: "KEY-1\n"], ttl: 60, expires: t0 + 600))
        #expect(await w.round())
        #expect(try String(contentsOfFile: dir + "/" + name, encoding: .utf8) == "KEY-1\n")
        #expect(script.changes.withLock { $0 } == 1)

        // Not due yet: no lookup.
        clock.set(t0 + 10)
        #expect(!(await w.round()))
        #expect(script.lookups.withLock { $0 } == 1)

        // Same keys at refresh: no rewrite, no command.
        clock.set(w.nextWake)
        #expect(clock.now() == t0 + 54)
        #expect(!(await w.round()))
        #expect(script.lookups.withLock { $0 } == 2)

        // Rollover: new key, rewritten, command once.
        script.set("gw.example.net", .secure(files: [name: "KEY-2\n"], ttl: 60, expires: t0 + 900))
        clock.set(w.nextWake)
        #expect(await w.round())
        #expect(try String(contentsOfFile: dir + "/" + name, encoding: .utf8) == "KEY-2\n")
        #expect(script.changes.withLock { $0 } == 2)

        // Bogus: the old key stays while its signatures are valid.
        script.set("gw.example.net", .failed("bogus: RRSIG does not verify"))
        clock.set(w.nextWake)
        #expect(!(await w.round()))
        #expect(listing(dir) == [name])
        clock.set(t0 + 899)
        _ = await w.round()
        #expect(listing(dir) == [name])
        #expect(script.changes.withLock { $0 } == 2)
        // The proof expires: removed , command once.
        clock.set(t0 + 900)
        #expect(await w.round())
        #expect(listing(dir).isEmpty)
        #expect(script.changes.withLock { $0 } == 3)

        // Secure again, then an authenticated denial removes at once.
        script.set("gw.example.net", .secure(files: [name: "KEY-3\n"], ttl: 60, expires: t0 + 5000))
        clock.set(w.nextWake)
        #expect(await w.round())
        #expect(listing(dir) == [name])
        script.set("gw.example.net", .denied("NXDOMAIN proven"))
        clock.set(w.nextWake)
        #expect(await w.round())
        #expect(listing(dir).isEmpty)
        #expect(script.changes.withLock { $0 } == 5)
    }

    @Test func reloadDropsNamesNoLongerListed() async throws {
        let dir = try temporaryDirectory("watch-reload")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = FakeClock(t0)
        let script = Script()
        let w = runner(dir, clock, script)
        let other = try DNSName("other.example.net.")
        w.setTargets([("gw.example.net", owner), ("other.example.net", other)])
        script.set("gw.example.net", .secure(files: ["gw.example.net.p10.1.pem": "A"], ttl: 60, expires: t0 + 600))
        script.set(
            "other.example.net", .secure(files: ["other.example.net.p10.1.pem": "B"], ttl: 60, expires: t0 + 600))
        #expect(await w.round())
        #expect(script.changes.withLock { $0 } == 1)  // once per round, not per name
        #expect(listing(dir) == ["gw.example.net.p10.1.pem", "other.example.net.p10.1.pem"])
        #expect(w.setTargets([("gw.example.net", owner)]))
        #expect(listing(dir) == ["gw.example.net.p10.1.pem"])
    }
}

/// `--watch` as a process against the test authority: key files written, the change command run once, SIGHUP
/// re-reads the list (a dropped name loses its files), SIGTERM ends it with status 0. The test follows the
/// process's own log line by line and waits for what it says, never for a time; the suite's time limit turns a
/// process that never says it into a failure.
@Suite(.serialized, .timeLimit(.minutes(2))) struct WatchProcessTests {
    /// The lines a process writes to `pipe`, as they come; the stream ends at end of file.
    static func lines(of pipe: Pipe) -> AsyncStream<String> {
        let (stream, sink) = AsyncStream<String>.makeStream()
        let pending = Locked([UInt8]())
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                let rest = pending.withLock { p in
                    defer { p = [] }
                    return p
                }
                if !rest.isEmpty { sink.yield(String(decoding: rest, as: UTF8.self)) }
                sink.finish()
                return
            }
            let complete = pending.withLock { p -> [String] in
                p += data
                var out: [String] = []
                while let nl = p.firstIndex(of: 0x0A) {
                    out.append(String(decoding: p[..<nl], as: UTF8.self))
                    p.removeSubrange(...nl)
                }
                return out
            }
            for line in complete { sink.yield(line) }
        }
        return stream
    }

    /// Reads lines (keeping them in `log`) until one contains `text`; false if the stream ended first.
    static func until(
        _ text: String, in lines: inout AsyncStream<String>.Iterator, log: inout [String]
    ) async -> Bool {
        while let line = await lines.next() {
            log.append(line)
            if line.contains(text) { return true }
        }
        return false
    }

    @Test func watchWritesReloadsAndStops() async throws {
        let f = try await CLIFixture.shared.get()
        let dir = try temporaryDirectory("watch-e2e")
        let work = try temporaryDirectory("watch-e2e-work")
        defer { try? FileManager.default.removeItem(atPath: dir); try? FileManager.default.removeItem(atPath: work) }
        let list = work + "/names"
        try "gw.ecdsa256.test.\n# comment\nkey-ed25519.ecdsa256.test.\n".write(
            toFile: list, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = binary()
        p.arguments = [
            "--server", f.server.address, "--trust-anchor", f.anchor, "--timeout", "3", "--watch",
            "--batch", list, "--write-pubkey", dir, "--on-change", "echo changed >> '\(work)/changes'",
        ]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        var lines = Self.lines(of: err).makeAsyncIterator()
        var log: [String] = []
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        let expected = [
            "gw.ecdsa256.test.p10.1.pem", "gw.ecdsa256.test.p20.2.pem", "key-ed25519.ecdsa256.test.p10.1.pem",
        ]
        // The first round: both names' files, then the change command, once.
        #expect(await Self.until("--on-change command ran", in: &lines, log: &log), "\(log)")
        #expect(listing(dir) == expected)
        #expect(log.contains { $0.contains("gw.ecdsa256.test.: secure: 2 key file(s) written") }, "\(log)")

        // Drop a name and re-read the list: its file goes, and the change command runs a second time.
        try "gw.ecdsa256.test.\n".write(toFile: list, atomically: true, encoding: .utf8)
        kill(p.processIdentifier, SIGHUP)
        #expect(await Self.until("--on-change command ran", in: &lines, log: &log), "\(log)")
        #expect(listing(dir) == Array(expected.prefix(2)))
        #expect(log.contains { $0.contains("no longer watched") }, "\(log)")

        p.terminate()  // SIGTERM
        // Its log ends when it exits (end of file on the pipe); then its status is there to collect.
        while let line = await lines.next() { log.append(line) }
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(log.contains { $0.contains("stopping") }, "\(log)")
        // Once per change: two runs in all, each logged once.
        #expect(try String(contentsOfFile: work + "/changes", encoding: .utf8) == "changed\nchanged\n")
        #expect(log.count { $0.contains("--on-change command ran") } == 2, "\(log)")
        #expect(listing(dir) == Array(expected.prefix(2)))  // files stay for the daemon after a clean stop
    }
}

/// The watch loop over real DNSSEC validation: the zones served change under it (a key rollover, a tampered
/// record, the record withdrawn) while the injected clock drives refreshes and the proof's expiry.
@Suite struct WatchZoneTests {
    /// Hands each query to whichever test authority is current.
    final class SwitchableUpstream: DNSUpstream, @unchecked Sendable {
        let current: Locked<InProcessUpstream>
        init(_ first: InProcessUpstream) { current = Locked(first) }
        func use(_ h: TestHierarchy) { current.withLock { $0 = InProcessUpstream(engine: h.engine) } }
        func query(_ question: Question) async throws(TransportError) -> Message {
            try await current.withLock { $0 }.query(question)
        }
    }

    @Test func rolloverTamperingExpiryAndWithdrawal() async throws {
        let rdata1 = "10 1 4 192.0.2.90 upuI06A10LisoWLgX55Y4/WhLU774fgZOkgqH9qBrgM="
        let rdata2 = "10 1 4 192.0.2.90 StWrmAnWK46YAeVrTuAQr/uuV4LGmd3rPgJLhymTIRs="
        let owner = try DNSName("peer.test.")
        func extra(_ rdata: String) throws -> [ResourceRecord] {
            try ZoneText.records("peer.test. 300 IN IPSECKEY \(rdata)\n", origin: .root)
        }
        func pem(_ rdata: String) throws -> String {
            guard case .ipseckey(let d) = try ZoneText.records("x. 1 IN IPSECKEY \(rdata)\n")[0].parsed() else {
                throw KeyFileError(description: "not IPSECKEY")
            }
            return try IPSecKey(unauthenticatedRDATA: RData.ipseckey(d).wire).pem()
        }
        let key1 = try TestHierarchy.build(extra: try extra(rdata1))
        let key2 = try TestHierarchy.build(extra: try extra(rdata2))
        let tampered = try TestHierarchy.build(extra: try extra(rdata2), tamper: [owner])
        let withdrawn = try await TestHierarchy.shared()  // no peer.test.: NXDOMAIN, proven
        let anchors = try TrustAnchors.parse(
            text: [key1, key2, tampered, withdrawn].map(\.dsAnchorText).joined(), file: "roots.ds")
        let upstream = SwitchableUpstream(InProcessUpstream(engine: key1.engine))
        var limits = ValidatorLimits()
        limits.maxCacheTTL = 0  // as --watch does
        let resolver = Resolver(
            upstream: upstream, anchors: anchors, limits: limits, logger: Logger(label: "watch-zone"))
        let delivery = Delivery(expectGateway: nil, writeDirectory: nil, format: .pem)

        let dir = try temporaryDirectory("watch-zone")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = FakeClock(key1.now)
        let changes = Locked(0)
        let w = WatchRunner(
            directory: dir, clock: clock, logger: Logger(label: "watch-zone"),
            lookup: { t in
                IPSecKeyVerify.observe(
                    delivery.apply(await Lookup.run(resolver: resolver, text: t, type: .ipseckey, trace: false)))
            },
            onChange: { changes.withLock { $0 += 1 } })
        w.setTargets([("peer.test.", owner)])
        let file = dir + "/peer.test.p10.1.pem"
        func content() -> String? { try? String(contentsOfFile: file, encoding: .utf8) }

        #expect(await w.round())
        #expect(content() == (try pem(rdata1)))
        #expect(w.names["peer.test."]?.nextCheck == key1.now + 270)  // TTL 300, a tenth early

        upstream.use(key2)  // rollover in the zone
        clock.set(w.nextWake)
        #expect(await w.round())
        #expect(content() == (try pem(rdata2)))
        #expect(changes.withLock { $0 } == 2)
        clock.set(w.nextWake)
        #expect(!(await w.round()))  // same key set: no rewrite, no command

        upstream.use(tampered)  // bogus: the last good key stays until its proof expires
        clock.set(w.nextWake)
        #expect(!(await w.round()))
        #expect(content() == (try pem(rdata2)))
        let expiry = try #require(w.names["peer.test."]?.proofExpires)
        #expect(expiry == key2.now &+ 30 * 86400)
        clock.set(expiry &- 1)
        _ = await w.round()
        #expect(content() != nil)
        clock.set(expiry)
        #expect(await w.round())
        #expect(content() == nil)
        #expect(changes.withLock { $0 } == 3)

        upstream.use(key2)
        clock.set(w.nextWake)
        #expect(await w.round())
        #expect(content() == (try pem(rdata2)))
        upstream.use(withdrawn)  // authenticated denial: removed at once
        clock.set(w.nextWake)
        #expect(await w.round())
        #expect(content() == nil)
        #expect(changes.withLock { $0 } == 5)
    }
}
