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
        #expect(throws: ReverseName.InvalidAddress.self) {
            try ReverseName.name(for: String(repeating: "1:", count: 200))
        }
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
        let r = Resolver(
            upstream: InProcessUpstream(engine: h.engine), anchors: anchors, limits: limits,
            logger: Logger(label: "t"))
        let answer = await r.resolve(name: try DNSName("gw.ecdsa256.test."), type: .ipseckey)
        #expect(answer.verdict == .indeterminate)
        #expect(answer.reason?.code == .workLimit)
        #expect(
            answer.reason?.message.contains("maxUpstreamQueriesPerLookup") == true, "\(answer.reason?.message ?? "")")
    }

    /// A target is parsed once into a typed value: addresses (brackets allowed) look up their reverse name, names
    /// themselves; text that looks numeric or has a colon but is no address is an error, not a name.
    @Test(arguments: [
        ("192.0.2.38", "38.2.0.192.in-addr.arpa.", true),
        ("[2001:db8::1]", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", true),
        ("gw.example.net", "gw.example.net.", false),
        ("gw.example.net.", "gw.example.net.", false),
        ("192.0.2.38.", "192.0.2.38.", false),
    ])
    func targetsParseOnce(text: String, query: String, isAddress: Bool) throws {
        let target = try LookupTarget(parsing: text)
        #expect(target.queryName.description == query)
        if case .address(let a) = target {
            #expect(isAddress); #expect(a.reverseName == target.queryName)
        } else {
            #expect(!isAddress)
        }
    }

    @Test func badTargetsSayWhy() {
        #expect(throws: LookupTargetError.invalidIPv4("300.1.1.1")) { try LookupTarget(parsing: "300.1.1.1") }
        #expect(throws: LookupTargetError.invalidIPv4("1.2.3.4.5")) { try LookupTarget(parsing: "1.2.3.4.5") }
        #expect(throws: LookupTargetError.invalidIPv6("2001:db8::g")) { try LookupTarget(parsing: "2001:db8::g") }
        let long = String(repeating: "a", count: 64) + ".example."
        #expect((try? LookupTarget(parsing: long)) == nil)
        // Found by FuzzTextParsers: a colon followed by a combining mark is one Character that is not ":", and the
        // text was taken as a name whose printed form no longer parsed. Octet-wise, it is an IPv6 error.
        #expect(throws: LookupTargetError.invalidIPv6(":\u{5AE}=\u{0}")) { try LookupTarget(parsing: ":\u{5AE}=\u{0}") }
        #expect(throws: KeyExportError.self) { try IPSecKey.gateway(parsing: "2001:db8::\u{301}") }
        #expect(IPAddress(octets: [1, 2, 3]) == nil)
        #expect(IPAddress(octets: Array(repeating: 0, count: 16))?.description == "::")
    }

    /// The secure case of the result carries the authenticated RRset; every other outcome is the front's one error.
    @Test func onlyASecureAnswerYieldsAnAuthenticatedRRset() async throws {
        let h = try await TestHierarchy.shared()
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "test-root.ds")
        let r = Resolver(upstream: InProcessUpstream(engine: h.engine), anchors: anchors, logger: Logger(label: "t"))
        let secure = await r.resolve(try LookupTarget(parsing: "gw.ecdsa256.test"), type: .ipseckey)
        let set = try secure.authenticated()
        #expect(set.rrset.type == .ipseckey && set.signatureExpiration != nil)
        #expect(try Resolver.keys(in: set).count == set.rrset.records.count)
        let denied = await r.resolve(name: try DNSName("nxdomain.ecdsa256.test."), type: .ipseckey)
        guard case .secureDenial(_, nameError: true) = denied.result else { Issue.record("\(denied.result)"); return }
        #expect(throws: IPSecKeyLookupError.self) { try denied.authenticated() }
        let unsigned = await r.resolve(name: try DNSName("gw.unsigned.test."), type: .ipseckey)
        guard case .insecure = unsigned.result else { Issue.record("\(unsigned.result)"); return }
        do { _ = try Resolver.keys(from: unsigned); Issue.record("keys from an insecure answer") } catch {
            guard case .insecure = error else { Issue.record("\(error)"); return }
        }
    }

    /// The unauthenticated parser is the model's IPSECKEY parser plus the key checks; its errors say which.
    @Test func unauthenticatedRDATAGoesThroughTheModelsParser() throws {
        let v4 = try IPSecKey(unauthenticatedRDATA: [10, 1, 0, 192, 0, 2, 38])
        #expect(v4.gatewayText == "192.0.2.38" && v4.kind == .none)
        #expect(throws: IPSecKeyParseError.malformedRDATA(.truncated(what: "IPv4 gateway", offset: 3))) {
            try IPSecKey(unauthenticatedRDATA: [10, 1, 0, 192])
        }
        #expect(throws: IPSecKeyParseError.trailingOctets(1)) { try IPSecKey(unauthenticatedRDATA: [10, 0, 0, 7]) }
        // RFC 4025 §2.5: a compressed gateway name is refused.
        #expect(throws: IPSecKeyParseError.self) { try IPSecKey(unauthenticatedRDATA: [10, 3, 0, 0xC0, 0x0C]) }
    }
}
