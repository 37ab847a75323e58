import DNSModel
import DNSSECValidator
import Upstream
import Dispatch
import Foundation
import Logging

/// An upstream that answers every question with the fuzzed message (or fails if it does not decode).
struct FuzzedUpstream: DNSUpstream {
    let response: Message
    func query(_ question: Question) async throws(TransportError) -> Message { response }
}

final class Box: @unchecked Sendable { var answer: ValidatedAnswer? }

let anchors: TrustAnchors = {
    do { return try TrustAnchors.parse(text: Fixture.anchor, file: "Fixture.anchor") } catch { fatalError("\(error)") }
}()
let target = try! DNSName("gw.ecdsa256.test.")
let genuine = Set(Fixture.genuineRDATA)
/// FUZZ_VERBOSE=1 prints each verdict (to check what the seeds reach: `FuzzValidator corpus/FuzzValidator/*`).
let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

func hex(_ b: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(b.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}

/// Asserts: resolving gw.ecdsa256.test. IPSECKEY against the testbed's root anchor, with the fuzzed message as the
/// answer to every upstream question, terminates without trapping, and is never `.secure` unless the answer is exactly
/// the genuine signed IPSECKEY RRset (Fixture.genuineRDATA). A secure negative answer or any other secure RRset is a
/// forgery the validator accepted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? Message(wire: bytes) else { return 0 }
    var config = ValidatorConfiguration(anchors: anchors, validationTime: Fixture.validationTime)
    config.limits.cacheEntries = 64
    let validator = Validator(upstream: FuzzedUpstream(response: message), configuration: config,
                              logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.answer = await validator.resolve(name: target, type: .ipseckey)
        done.signal()
    }
    done.wait()
    guard let a = box.answer else { fatalError("no answer") }
    if verbose { print("verdict \(a.verdict) kind \(a.kind) reason \(a.reason.map { "\($0.code): \($0.message)" } ?? "-")") }
    if a.verdict == .secure {
        let rdata = Set((a.rrset?.rdatas ?? []).map(hex))
        if a.kind != .data || a.rrset?.name != target || a.rrset?.type != .ipseckey || rdata != genuine {
            fatalError("forged answer is secure: kind \(a.kind), rrset \(String(describing: a.rrset))")
        }
    }
    return 0
}
