import Foundation
import IPSecKeyResolver
import TestAuthority
import Testing
@testable import IPSecKeyResolver

/// The public surface: one import is enough, nothing traps on any input, one clock, typed limits.
@Suite struct FrontDoorTests {
    /// Reverse names only from addresses of the right length; any other octet count is refused, never a trap.
    @Test func reverseNamesOnlyFromWholeAddresses() throws {
        #expect(ReverseName.ipv4([192, 0, 2, 38])?.description == "38.2.0.192.in-addr.arpa.")
        #expect(ReverseName.ipv6(Array(repeating: 0, count: 16))?.labelCount == 34)
        for n in [0, 1, 3, 5, 15, 17, 64, 200] {
            #expect(ReverseName.ipv4(Array(repeating: 1, count: n)) == nil)
            #expect(ReverseName.ipv6(Array(repeating: 1, count: n)) == nil)
        }
        #expect(throws: ReverseName.InvalidAddress.self) { try ReverseName.name(for: "1.2.3.4.5") }
        #expect(throws: ReverseName.InvalidAddress.self) { try ReverseName.name(for: String(repeating: "1:", count: 200)) }
    }

    /// RFC 7958 anchors are chosen by the validation time, like everything else: an anchor whose `validUntil` lies
    /// between the validation time and now is used when validating in the past, and refused today.
    @Test func xmlAnchorsFollowTheValidationTime() async throws {
        let xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <TrustAnchor id="test" source="test">
        <Zone>.</Zone>
        <KeyDigest id="old" validFrom="2020-01-01T00:00:00+00:00" validUntil="2025-01-01T00:00:00+00:00">
        <KeyTag>20326</KeyTag>
        <Algorithm>8</Algorithm>
        <DigestType>2</DigestType>
        <Digest>E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D</Digest>
        </KeyDigest>
        </TrustAnchor>
        """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("clock-\(getpid()).xml").path
        try xml.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        var config = ResolverConfiguration()
        config.upstreams = [try UpstreamAddress(parsing: "127.0.0.1:9")]
        config.trustAnchorFiles = [file]
        await #expect(throws: ResolverSetupError.self) {
            _ = try await Resolver(configuration: config, logger: Logger(label: "t"))
        }
        config.validationTime = 1_700_000_000  // 2023-11-14: the anchor was valid then
        _ = try await Resolver(configuration: config, logger: Logger(label: "t"))
    }

    /// Spending the budget of upstream queries is a work limit with its own code, not a network fault.
    @Test func queryBudgetIsAWorkLimit() async throws {
        let h = try await TestHierarchy.shared()
        var limits = ValidatorLimits()
        limits.maxUpstreamQueriesPerLookup = 2
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "test-root.ds")
        let r = Resolver(upstream: InProcessUpstream(engine: h.engine), anchors: anchors, limits: limits,
                         logger: Logger(label: "t"))
        let answer = await r.resolve(name: try DNSName("gw.ecdsa256.test."), type: .ipseckey)
        #expect(answer.verdict == .indeterminate)
        #expect(answer.reason?.code == .workLimit)
        #expect(answer.reason?.message.contains("maxUpstreamQueriesPerLookup") == true, "\(answer.reason?.message ?? "")")
    }
}
