import DNSModel
import DNSTransport
import Logging
import TestAuthority
import Testing

@testable import DNSSECValidator

/// Concurrent lookups share upstream questions and chain-of-trust work instead of repeating it.
@Suite(.timeLimit(.minutes(1))) struct CoalescingTests {
    /// 64 lookups started together in a cold cache (a batch's first wave): every chain question goes upstream once.
    @Test func coldConcurrentLookupsAskEachChainQuestionOnce() async throws {
        let h = try await TestHierarchy.shared()
        let upstream = InProcessUpstream(engine: h.engine, delay: .milliseconds(20))
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "root.ds")
        let v = Validator(
            upstream: upstream, configuration: ValidatorConfiguration(anchors: anchors), logger: Logger(label: "herd"))
        let names = try (1...64).map { try DNSName("w\($0).wild.nsec.test.") }
        let verdicts = await withTaskGroup(of: Verdict.self) { group in
            for n in names { group.addTask { await v.resolve(name: n, type: .ipseckey, trace: false).verdict } }
            return await group.reduce(into: [Verdict]()) { $0.append($1) }
        }
        #expect(verdicts.count == 64 && verdicts.allSatisfy { $0 == .secure })
        for q in [
            Question(name: .root, type: .dnskey), Question(name: try DNSName("test."), type: .ds),
            Question(name: try DNSName("nsec.test."), type: .ds),
            Question(name: try DNSName("nsec.test."), type: .dnskey),
        ] {
            #expect(upstream.count(for: q) == 1, "\(q) asked \(upstream.count(for: q)) times")
        }
        for n in names { #expect(upstream.count(for: Question(name: n, type: .ipseckey)) == 1) }
    }

    /// A chain step under way is awaited by everyone who needs it: the work runs once.
    @Test func flightsRunTheWorkOnceForConcurrentCallers() async {
        let flights = Flights<String, Int>()
        let runs = Locked(0)
        let results = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    await flights.run("example.") {
                        runs.withLock { $0 += 1 }
                        // Finish only once the 31 others wait for this run.
                        await flights.waiters(for: "example.", reaching: 31)
                        return 42
                    }
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: 42, count: 32))
        #expect(runs.withLock { $0 } == 1)
        // Once finished, the next caller runs the work again (results are cached elsewhere, not here).
        #expect(
            await flights.run("example.") {
                runs.withLock { $0 += 1 }; return 7
            } == 7)
        #expect(runs.withLock { $0 } == 2)
    }

    /// A result the follower must not take over (`redo`) makes it do the work itself.
    @Test func flightsRedoRejectedResults() async {
        let flights = Flights<String, Int>()
        let runs = Locked(0)
        let results = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await flights.run("example.", redo: { $0 < 0 }) {
                        let n = runs.withLock {
                            $0 += 1; return $0
                        }
                        if n == 1 { await flights.waiters(for: "example.", reaching: 7) }
                        return n == 1 ? -1 : 1  // the first run "fails transiently"
                    }
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results.filter { $0 == -1 }.count == 1)
        #expect(results.filter { $0 == 1 }.count == 7)
        #expect(runs.withLock { $0 } == 8)
    }

    /// When the lookup that sent a question is cancelled, the lookups waiting for the same answer ask again
    /// rather than inherit the cancellation.
    @Test func waitersOfACancelledQueryAskAgain() async throws {
        let cache = ResponseCache(capacity: 100, maxTTL: 3600)
        let q = Question(name: try DNSName("gw.example."), type: .ipseckey)
        let fetches = Locked(0)
        let (started, asked) = AsyncStream<Void>.makeStream()
        let answer = Message(
            id: 1, flags: [.qr], questions: [q],
            answers: [
                ResourceRecord(name: q.name, type: .a, rrClass: .in, ttl: 300, rdata: [192, 0, 2, 1])
            ])
        let fetch: @Sendable () async -> Result<ReceivedMessage, TransportError> = {
            let n = fetches.withLock {
                $0 += 1; return $0
            }
            // The first fetch waits until cancelled; the one asked again answers at once.
            if n == 1 {
                asked.yield()
                do { try await Task.sleep(for: .seconds(30)) } catch { return .failure(.cancelled) }
            }
            return .success(ReceivedMessage(message: answer, wire: answer.wire()))
        }
        let leader = Task { await cache.get(q, fetch: fetch) }
        var starts = started.makeAsyncIterator()
        await starts.next()  // the leader's question is in flight
        let followers = (0..<4).map { _ in Task { await cache.get(q, fetch: fetch) } }
        await cache.waiters(for: q, reaching: 4)
        leader.cancel()
        #expect(await leader.value == .failure(.cancelled))
        for f in followers {
            guard case .success(let m) = await f.value else {
                Issue.record("a follower inherited the failure"); continue
            }
            #expect(m.answers == answer.answers)
        }
        #expect(fetches.withLock { $0 } == 2)
        #expect(cache.count == 1)
    }
}
