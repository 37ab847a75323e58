import DNSCrypto
import DNSModel
import Foundation

/// One trust anchor: a DS or a DNSKEY for a zone.
public enum TrustAnchor: Sendable, Hashable {
    /// A DS record: the zone's DNSKEY with this digest is trusted.
    case ds(owner: DNSName, DSData)
    /// A DNSKEY record trusted as it is.
    case dnskey(owner: DNSName, DNSKEYData)

    /// The zone the anchor is for.
    public var owner: DNSName {
        switch self {
        case .ds(let o, _), .dnskey(let o, _): o
        }
    }
}

/// An error reading a trust-anchor file, naming the file and line.
public struct TrustAnchorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The file does not exist.
        case fileNotFound
        /// The file exists but cannot be read.
        case unreadable
        /// A line or the XML does not parse.
        case malformed
        /// The file holds no usable anchor (or none valid at the validation time).
        case empty
    }
    /// What went wrong.
    public let kind: Kind
    /// The file's path.
    public let file: String
    /// The line at fault, when one is.
    public let line: Int?
    /// What is wrong, as a phrase.
    public let detail: String
    /// `FILE:LINE: detail`.
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(detail)"
    }
}

/// The set of configured trust anchors, by zone.
public struct TrustAnchors: Sendable {
    /// The anchors, by zone.
    public private(set) var anchors: [DNSName: [TrustAnchor]] = [:]

    /// A set of anchors (none by default: then every lookup is indeterminate).
    public init(_ list: [TrustAnchor] = []) {
        for a in list { anchors[a.owner, default: []].append(a) }
    }

    /// Whether no anchor is configured.
    public var isEmpty: Bool { anchors.isEmpty }
    /// The anchored zones.
    public var zones: [DNSName] { Array(anchors.keys) }

    /// The closest anchored zone at or above `name`.
    public func closest(to name: DNSName) -> DNSName? {
        var n: DNSName? = name
        while let cur = n {
            if anchors[cur] != nil { return cur }
            n = cur.parent
        }
        return nil
    }

    /// Adds every anchor of `other`.
    public mutating func add(_ other: TrustAnchors) {
        for (k, v) in other.anchors { anchors[k, default: []] += v }
    }

    /// The IANA root anchors (KSK-2017, key tag 20326, and KSK-2024, key tag 38696), built in so that the binary
    /// works from any directory. The same records are in TrustAnchors/root.ds and TrustAnchors/root-anchors.xml.
    /// The text is a constant that parses (TrustAnchorFileTests compares it with the bundled files); should it ever
    /// not, the set is empty and every lookup is indeterminate ("no trust anchor"): failing closed, not trapping.
    public static let ianaRoot: TrustAnchors = {
        (try? parse(
            text: """
                . 86400 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
                . 86400 IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
                """, file: "<built-in root anchors>", now: Date())) ?? TrustAnchors()
    }()

    /// Read a file of DS/DNSKEY lines (zone-file format) or RFC 7958 XML. `now` decides XML `validFrom`/`validUntil`.
    public static func load(path: String, now: Date = Date()) throws(TrustAnchorError) -> TrustAnchors {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrustAnchorError(kind: .fileNotFound, file: path, line: nil, detail: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrustAnchorError(kind: .unreadable, file: path, line: nil, detail: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TrustAnchorError(kind: .malformed, file: path, line: nil, detail: "is not UTF-8 text")
        }
        return try parse(text: text, file: path, now: now)
    }

    /// Parse anchor text; the format is recognised by content (`<TrustAnchor` → RFC 7958 XML).
    public static func parse(text: String, file: String, now: Date = Date()) throws(TrustAnchorError) -> TrustAnchors {
        if text.contains("<TrustAnchor") { return try parseXML(text, file: file, now: now) }
        var list: [TrustAnchor] = []
        let lines: [(line: Int, tokens: [String])]
        do { lines = try ZoneText.logicalLines(text) } catch {
            throw TrustAnchorError(kind: .malformed, file: file, line: nil, detail: error.message)
        }
        for (line, tokens) in lines {
            if tokens.first?.hasPrefix("$") == true {
                throw TrustAnchorError(
                    kind: .malformed, file: file, line: line,
                    detail: "directives (\(tokens[0])) are not supported in anchor files")
            }
            let record: ResourceRecord
            do { record = try ZoneText.record(tokens: tokens) } catch {
                throw TrustAnchorError(kind: .malformed, file: file, line: line, detail: error.message)
            }
            switch try? record.parsed() {
            case .ds(let d)?: list.append(.ds(owner: record.name, d))
            case .dnskey(let k)?:
                guard k.isZoneKey else {
                    throw TrustAnchorError(
                        kind: .malformed, file: file, line: line, detail: "DNSKEY without the Zone Key flag")
                }
                list.append(.dnskey(owner: record.name, k))
            default:
                throw TrustAnchorError(
                    kind: .malformed, file: file, line: line,
                    detail: "expected a DS or DNSKEY record, found \(record.type)")
            }
        }
        guard !list.isEmpty else {
            throw TrustAnchorError(kind: .empty, file: file, line: nil, detail: "holds no DS or DNSKEY record")
        }
        return TrustAnchors(list)
    }

    /// RFC 7958: `<Zone>` and `<KeyDigest validFrom= validUntil=>` elements with KeyTag, Algorithm, DigestType, Digest.
    static func parseXML(_ text: String, file: String, now: Date) throws(TrustAnchorError) -> TrustAnchors {
        func lineOf(_ idx: String.Index) -> Int { text[..<idx].reduce(1) { $1 == "\n" ? $0 + 1 : $0 } }
        func element(_ name: String, in s: Substring) -> Substring? {
            guard let a = s.range(of: "<\(name)>"), let b = s.range(of: "</\(name)>", range: a.upperBound..<s.endIndex)
            else { return nil }
            return s[a.upperBound..<b.lowerBound]
        }
        guard let zoneText = element("Zone", in: text[...]) else {
            throw TrustAnchorError(
                kind: .malformed, file: file, line: nil, detail: "RFC 7958 XML without a <Zone> element")
        }
        let zone: DNSName
        do { zone = try DNSName(String(zoneText).trimmingCharacters(in: .whitespaces)) } catch {
            throw TrustAnchorError(kind: .malformed, file: file, line: nil, detail: "bad <Zone> name: \(error)")
        }
        var list: [TrustAnchor] = []
        var searchFrom = text.startIndex
        let iso = ISO8601DateFormatter()
        while let start = text.range(of: "<KeyDigest", range: searchFrom..<text.endIndex) {
            guard let end = text.range(of: "</KeyDigest>", range: start.upperBound..<text.endIndex) else {
                throw TrustAnchorError(
                    kind: .malformed, file: file, line: lineOf(start.lowerBound), detail: "unterminated <KeyDigest>")
            }
            let block = text[start.lowerBound..<end.upperBound]
            let line = lineOf(start.lowerBound)
            searchFrom = end.upperBound
            func attribute(_ n: String) -> Date? {
                guard let r = block.range(of: "\(n)=\""), let q = block[r.upperBound...].firstIndex(of: "\"") else {
                    return nil
                }
                return iso.date(from: String(block[r.upperBound..<q]))
            }
            if let from = attribute("validFrom"), from > now { continue }
            if let until = attribute("validUntil"), until <= now { continue }
            guard let tagS = element("KeyTag", in: block), let tag = UInt16(tagS.trimmingCharacters(in: .whitespaces)),
                let algS = element("Algorithm", in: block), let alg = UInt8(algS.trimmingCharacters(in: .whitespaces)),
                let dtS = element("DigestType", in: block), let dt = UInt8(dtS.trimmingCharacters(in: .whitespaces)),
                let dgS = element("Digest", in: block),
                let digest = TextEncoding.fromHex(dgS.trimmingCharacters(in: .whitespacesAndNewlines)), !digest.isEmpty
            else {
                throw TrustAnchorError(
                    kind: .malformed, file: file, line: line,
                    detail: "<KeyDigest> needs numeric <KeyTag>, <Algorithm>, <DigestType> and a hex <Digest>")
            }
            list.append(.ds(owner: zone, DSData(keyTag: tag, algorithm: alg, digestType: dt, digest: digest)))
        }
        guard !list.isEmpty else {
            throw TrustAnchorError(
                kind: .empty, file: file, line: nil, detail: "holds no <KeyDigest> valid at this time")
        }
        return TrustAnchors(list)
    }
}
