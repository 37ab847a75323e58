import TestAuthority
import Testing

@testable import DNSModel

@Suite("DNSName")
struct NameTests {
    @Test func parsesPlainNameToWire() throws {
        let n = try dn("www.example.com.")
        #expect(n.wire == wireName("www", "example", "com"))
        #expect(n.labelCount == 3)
        #expect(n.description == "www.example.com.")
        // A missing final dot is still absolute.
        #expect(try dn("www.example.com").wire == n.wire)
    }

    @Test func rootName() throws {
        let root = try dn(".")
        #expect(root == DNSName.root)
        #expect(root.wire == [0])
        #expect(root.isRoot)
        #expect(root.labelCount == 0)
        #expect(root.parent == nil)
        #expect(root.description == ".")
    }

    @Test func escapedDotStaysInsideTheLabel() throws {
        let n = try dn("a\\.b.example.")
        #expect(n.labelCount == 2)
        #expect(n.wire == [3, 0x61, 0x2E, 0x62, 7] + ascii("example") + [0])
        #expect(n.description == "a\\.b.example.")
        #expect(n != (try dn("a.b.example.")))
    }

    @Test func decimalEscapes() throws {
        let n = try dn("\\065bc.example.")
        #expect(n.wire == [3, 0x41, 0x62, 0x63, 7] + ascii("example") + [0])
        #expect(n.description == "Abc.example.")
        let binary = try dn("\\000\\001\\255.example.")
        #expect(binary.wire == [3, 0, 1, 255, 7] + ascii("example") + [0])
        #expect(binary.description == "\\000\\001\\255.example.")
        // A backslash before a non-digit escapes that character.
        #expect(try dn("a\\bc.").wire == [3, 0x61, 0x62, 0x63, 0])
        // Escaped backslash.
        #expect(try dn("a\\\\b.").wire == [3, 0x61, 0x5C, 0x62, 0])
    }

    @Test(arguments: ["a\\", "\\256.example", "\\12", "a\\1x2.", "\\99"])
    func badEscapes(_ text: String) {
        #expect(throws: DNSNameError.badEscape) { try DNSName(text) }
    }

    @Test(arguments: ["", "a..b", ".a", "..", "example.."])
    func emptyLabels(_ text: String) {
        #expect(throws: DNSNameError.emptyLabel) { try DNSName(text) }
    }

    @Test func caseInsensitiveEqualityAndHashing() throws {
        let a = try dn("WWW.Example.COM."), b = try dn("www.example.com")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b]).count == 1)
        #expect([a: 1][b] == 1)
        // Case is preserved for presentation.
        #expect(a.description == "WWW.Example.COM.")
        #expect(a.lowercased.description == "www.example.com.")
        #expect(DNSName.canonicalCompare(a, b) == 0)
        // Only ASCII letters fold: 0xC1 and 0xE1 differ (Latin-1 "Á"/"á" are not letters to DNS).
        #expect(try dn("\\193.example") != (try dn("\\225.example")))
        // Different lengths with a common prefix are different names.
        #expect(try dn("example.com") != (try dn("example.co")))
        #expect(try dn("ab.c") != (try dn("a.bc")))
    }

    /// RFC 4034 §6.1: the example names, already in canonical order.
    static let rfc4034Order = [
        "example", "a.example", "yljkjljk.a.example", "Z.a.example", "zABC.a.EXAMPLE", "z.example",
        "\\001.z.example", "*.z.example", "\\200.z.example",
    ]

    @Test func canonicalOrderMatchesRFC4034Example() throws {
        let expected = try Self.rfc4034Order.map(dn)
        // Strictly increasing, pairwise.
        for (x, y) in zip(expected, expected.dropFirst()) {
            #expect(x < y, "\(x) should sort before \(y)")
            #expect(!(y < x))
            #expect(DNSName.canonicalCompare(x, y) == -1)
            #expect(DNSName.canonicalCompare(y, x) == 1)
        }
        // Sorting a scrambled copy (several deterministic shuffles) restores the RFC order.
        var rng = SplitMix64(seed: 4034)
        for _ in 0..<20 {
            let sorted = expected.shuffled(using: &rng).sorted()
            #expect(sorted.map(\.description) == expected.map(\.description))
        }
        #expect(
            expected.map(\.description) == [
                "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.", "z.example.",
                "\\001.z.example.", "*.z.example.", "\\200.z.example.",
            ])
    }

    @Test func canonicalOrderEdgeCases() throws {
        #expect(DNSName.root < (try dn("a.")))
        #expect(try dn("a.") < (try dn("aa.")))  // shorter label with equal prefix sorts first
        #expect(try dn("z.a.") < (try dn("b.")))  // rightmost label decides first
        #expect(try dn("A.example") < (try dn("b.example")))  // upper case compares as lower case
        #expect(!(try dn("A.example") < (try dn("a.example"))))
        // Lower-casing happens before comparing: '_' (0x5F) < 'z' (0x7A), although 'Z' (0x5A) < '_'.
        #expect(try dn("_.example") < (try dn("Z.example")))
    }

    @Test func labelLengthLimit() throws {
        let ok = String(repeating: "a", count: 63)
        #expect(try dn(ok + ".example").labels.first?.count == 63)
        let long = String(repeating: "a", count: 64)
        #expect(throws: DNSNameError.labelTooLong(64)) { try DNSName(long + ".example") }
        #expect(throws: DNSNameError.labelTooLong(64)) { try DNSName(labels: [Array(repeating: 0x61, count: 64)]) }
        #expect(throws: DNSNameError.labelTooLong(64)) {
            try DNSName(wire: [64] + Array(repeating: 0x61, count: 64) + [0])
        }
    }

    @Test func nameLengthLimit() throws {
        let l63 = String(repeating: "a", count: 63)
        // 3 × 64 + 62 + 1 = 255 octets: the largest legal name.
        let max = try dn([l63, l63, l63, String(repeating: "b", count: 61)].joined(separator: "."))
        #expect(max.wire.count == 255)
        // One octet more.
        #expect(throws: DNSNameError.nameTooLong(256)) {
            try DNSName([l63, l63, l63, String(repeating: "b", count: 62)].joined(separator: "."))
        }
        #expect(max.wildcard == nil, "*.<255-octet name> would be 257 octets")
        #expect(throws: DNSNameError.nameTooLong(257)) { try max.prepending([0x2A]) }
    }

    @Test func wireInitializerErrors() {
        #expect(throws: DNSNameError.truncated) { try DNSName(wire: [3, 0x61, 0x62]) }
        #expect(throws: DNSNameError.truncated) { try DNSName(wire: []) }
        #expect(throws: DNSNameError.trailingData) { try DNSName(wire: [1, 0x61, 0, 0]) }
        #expect(throws: DNSNameError.emptyLabel) { try DNSName(labels: [[0x61], []]) }
    }

    @Test func parentChain() throws {
        let n = try dn("a.b.example.")
        #expect(n.parent == (try dn("b.example.")))
        #expect(n.parent?.parent == (try dn("example.")))
        #expect(n.parent?.parent?.parent == DNSName.root)
        #expect(n.parent?.parent?.parent?.parent == nil)
        #expect(n.suffix(labels: 2) == (try dn("b.example")))
        #expect(n.suffix(labels: 0) == DNSName.root)
        #expect(n.suffix(labels: 3) == n)
    }

    @Test func subdomainRelation() throws {
        let child = try dn("a.b.EXAMPLE.")
        #expect(child.isSubdomain(of: try dn("example.")))
        #expect(child.isSubdomain(of: try dn("B.example.")))
        #expect(child.isSubdomain(of: child))
        #expect(child.isSubdomain(of: .root))
        #expect(!(try dn("example.")).isSubdomain(of: child))
        #expect(!(try dn("notexample.")).isSubdomain(of: try dn("example.")), "must respect label boundaries")
        #expect(!(try dn("a.example.org.")).isSubdomain(of: try dn("example.")))
    }

    @Test func commonLabels() throws {
        #expect(try dn("a.b.example.").commonLabelCount(with: try dn("c.B.Example.")) == 2)
        #expect(try dn("a.example.").commonLabelCount(with: try dn("a.org.")) == 0)
        #expect(try dn("a.example.").commonLabelCount(with: try dn("a.example.")) == 2)
        #expect(try dn("x.example.").commonLabelCount(with: .root) == 0)
        #expect(try dn("ab.example.").commonLabelCount(with: try dn("b.example.")) == 1)
    }

    @Test func wildcards() throws {
        let w = try #require(try dn("Example.").wildcard)
        #expect(w.description == "*.Example.")
        #expect(w.wire == [1, 0x2A, 7] + ascii("Example") + [0])
        #expect(w.isWildcard)
        #expect(w.labelCount == 2)
        #expect(!(try dn("a.*.example.")).isWildcard)
        #expect(!(try dn("*a.example.")).isWildcard)
        #expect(!DNSName.root.isWildcard)
        #expect(DNSName.root.wildcard == (try dn("*.")))
    }

    @Test func presentationEscapes() throws {
        let n = try DNSName(labels: [[0x61, 0x2E, 0x3B, 0x28, 0x29, 0x5C, 0x20, 0x7F], ascii("example")])
        #expect(n.description == "a\\.\\;\\(\\)\\\\\\032\\127.example.")
        // Round trip through the parser.
        #expect(try DNSName(n.description).wire == n.wire)
    }
}
