/// A domain name (RFC 1035 §3.1), stored as its uncompressed wire form.
///
/// Comparison and hashing are case-insensitive for ASCII letters (RFC 4343); the original case is kept for
/// presentation. Ordering (`<`) is the canonical DNS name order of RFC 4034 §6.1.
public struct DNSName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Uncompressed wire form, ending with the root label (a single 0 octet).
    public let wire: [UInt8]

    /// RFC 1035 §2.3.4: a label is at most 63 octets.
    public static let maxLabelLength = 63
    /// RFC 1035 §2.3.4: a name is at most 255 octets in wire form.
    public static let maxWireLength = 255

    /// The root name ".".
    public static let root = DNSName(uncheckedWire: [0])

    init(uncheckedWire: [UInt8]) { self.wire = uncheckedWire }

    /// Creates a name from its labels (without the empty root label), enforcing the length limits.
    public init(labels: [[UInt8]]) throws(DNSNameError) {
        var out: [UInt8] = []
        out.reserveCapacity(labels.reduce(1) { $0 + $1.count + 1 })
        for label in labels {
            guard !label.isEmpty else { throw .emptyLabel }
            guard label.count <= Self.maxLabelLength else { throw .labelTooLong(label.count) }
            out.append(UInt8(label.count))
            out.append(contentsOf: label)
        }
        out.append(0)
        guard out.count <= Self.maxWireLength else { throw .nameTooLong(out.count) }
        self.wire = out
    }

    /// Creates a name from uncompressed wire form; the whole buffer must be exactly one name.
    public init(wire: [UInt8]) throws(DNSNameError) {
        var i = 0
        var labels: [[UInt8]] = []
        while true {
            guard i < wire.count else { throw .truncated }
            let len = Int(wire[i])
            if len == 0 { i += 1; break }
            guard len <= Self.maxLabelLength else { throw .labelTooLong(len) }
            guard i + 1 + len <= wire.count else { throw .truncated }
            labels.append(Array(wire[(i + 1)..<(i + 1 + len)]))
            i += 1 + len
        }
        guard i == wire.count else { throw .trailingData }
        try self.init(labels: labels)
    }

    /// Parses presentation format (RFC 1035 §5.1): `\.` and `\DDD` escapes; a missing final dot is treated as
    /// absolute (relative to the root), which is how users type names on a command line.
    public init(_ text: String) throws(DNSNameError) {
        if text == "." { self = .root; return }
        if text.isEmpty { throw .emptyLabel }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        var lastWasDot = false
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: ".") {
                guard !current.isEmpty else { throw .emptyLabel }
                labels.append(current); current = []
                lastWasDot = true
                i += 1
                continue
            }
            lastWasDot = false
            if c == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { throw .badEscape }
                let n = bytes[i + 1]
                if n >= 0x30 && n <= 0x39 {
                    guard i + 3 < bytes.count else { throw .badEscape }
                    let digits = bytes[(i + 1)...(i + 3)]
                    guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw .badEscape }
                    let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                    guard value <= 255 else { throw .badEscape }
                    current.append(UInt8(value))
                    i += 4
                } else {
                    current.append(n)
                    i += 2
                }
            } else {
                current.append(c)
                i += 1
            }
            if current.count > Self.maxLabelLength { throw .labelTooLong(current.count) }
        }
        if !current.isEmpty { labels.append(current) } else if !lastWasDot { throw .emptyLabel }
        try self.init(labels: labels)
    }

    /// The labels, leftmost first, without the root label.
    public var labels: [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = 0
        while wire[i] != 0 {
            let len = Int(wire[i])
            out.append(wire[(i + 1)..<(i + 1 + len)])
            i += 1 + len
        }
        return out
    }

    /// Number of labels, not counting the root (RFC 4034 §3.1.3: the root has 0 labels).
    public var labelCount: Int {
        var n = 0, i = 0
        while wire[i] != 0 { n += 1; i += Int(wire[i]) + 1 }
        return n
    }

    /// Whether this is the root name `.`.
    public var isRoot: Bool { wire.count == 1 }

    /// True when the leftmost label is `*` (RFC 4592).
    public var isWildcard: Bool { wire.count >= 3 && wire[0] == 1 && wire[1] == UInt8(ascii: "*") }

    /// The name with its leftmost label removed; nil for the root.
    public var parent: DNSName? {
        guard !isRoot else { return nil }
        return DNSName(uncheckedWire: Array(wire[(Int(wire[0]) + 1)...]))
    }

    /// The name lower-cased (ASCII only), as used by canonical form (RFC 4034 §6.2).
    public var lowercased: DNSName { DNSName(uncheckedWire: Self.lowerWire(wire)) }

    static func lowerWire(_ wire: [UInt8]) -> [UInt8] {
        var out = wire
        var i = 0
        while i < out.count, out[i] != 0 {
            let len = Int(out[i])
            // Bounds-checked: also called on RDATA octets that may not hold a well-formed name (left as they are).
            for j in (i + 1)..<min(i + 1 + len, out.count) where out[j] >= 0x41 && out[j] <= 0x5A { out[j] |= 0x20 }
            i += 1 + len
        }
        return out
    }

    /// The rightmost `count` labels of this name (count ≤ labelCount).
    public func suffix(labels count: Int) -> DNSName {
        let start = offset(ofSuffixWithLabels: count)
        return start == 0 ? self : DNSName(uncheckedWire: Array(wire[start...]))
    }

    /// Index in `wire` where the rightmost `count` labels begin (0 when count ≥ labelCount).
    func offset(ofSuffixWithLabels count: Int) -> Int {
        var drop = labelCount - count
        var i = 0
        while drop > 0, wire[i] != 0 { i += Int(wire[i]) + 1; drop -= 1 }
        return i
    }

    /// Prepends a label.
    public func prepending(_ label: [UInt8]) throws(DNSNameError) -> DNSName {
        try DNSName(labels: [label] + labels.map(Array.init))
    }

    /// `*.<self>` (RFC 4592).
    public var wildcard: DNSName? { try? prepending([UInt8(ascii: "*")]) }

    /// True when `self` equals `other` or lies below it.
    public func isSubdomain(of other: DNSName) -> Bool {
        let a = labelCount, b = other.labelCount
        guard a >= b else { return false }
        // Compare the tail of our wire form with the other name's, without building the suffix.
        let start = offset(ofSuffixWithLabels: b)
        guard wire.count - start == other.wire.count else { return false }
        for i in 0..<other.wire.count where Self.lower(wire[start + i]) != Self.lower(other.wire[i]) { return false }
        return true
    }

    /// Number of rightmost labels shared with `other`.
    public func commonLabelCount(with other: DNSName) -> Int {
        let l1 = labels, l2 = other.labels
        var n = 0
        while n < l1.count, n < l2.count,
            Self.labelEqual(l1[l1.count - 1 - n], l2[l2.count - 1 - n])
        { n += 1 }
        return n
    }

    static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    static func labelEqual(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where lower(x) != lower(y) { return false }
        return true
    }

    /// Names compare case-insensitively (RFC 4343 §3).
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        guard lhs.wire.count == rhs.wire.count else { return false }
        for i in 0..<lhs.wire.count where lower(lhs.wire[i]) != lower(rhs.wire[i]) { return false }
        return true
    }

    /// Hashes the lower-cased wire form, agreeing with `==`.
    public func hash(into hasher: inout Hasher) {
        // Eight lower-cased octets per combine: names are hashed for every cache and set lookup.
        var word: UInt64 = 0
        var filled = 0
        for b in wire {
            word = word << 8 | UInt64(Self.lower(b))
            filled += 1
            if filled == 8 { hasher.combine(word); word = 0; filled = 0 }
        }
        hasher.combine(word)
        hasher.combine(wire.count)
    }

    /// RFC 4034 §6.1 canonical order: compare labels right to left, each as lower-cased octet strings.
    public static func < (lhs: DNSName, rhs: DNSName) -> Bool {
        canonicalCompare(lhs, rhs) < 0
    }

    /// -1, 0 or 1 per RFC 4034 §6.1.
    public static func canonicalCompare(_ lhs: DNSName, _ rhs: DNSName) -> Int {
        // Label start offsets (a wire name is at most 255 octets, so they fit in a byte), compared right to left.
        let o1 = lhs.labelOffsets, o2 = rhs.labelOffsets
        let w1 = lhs.wire, w2 = rhs.wire
        var i = o1.count - 1, j = o2.count - 1
        while i >= 0 && j >= 0 {
            let a = Int(o1[i]), b = Int(o2[j])
            let la = Int(w1[a]), lb = Int(w2[b])
            var k = 1
            while k <= la && k <= lb {
                let x = lower(w1[a + k]), y = lower(w2[b + k])
                if x != y { return x < y ? -1 : 1 }
                k += 1
            }
            if la != lb { return la < lb ? -1 : 1 }
            i -= 1; j -= 1
        }
        if i < 0 && j < 0 { return 0 }
        return i < 0 ? -1 : 1
    }

    /// Offsets in `wire` of each label's length octet, leftmost label first (the root label excluded).
    var labelOffsets: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8)
        var i = 0
        while wire[i] != 0 { out.append(UInt8(i)); i += Int(wire[i]) + 1 }
        return out
    }

    /// Presentation format as ldns and dig print it: absolute with a trailing dot; `.`, `\`, `;`, `(`, `)`, `"`,
    /// `@`, `$` and space escaped with a backslash, other bytes outside 0x21…0x7E as `\DDD`.
    public var description: String {
        if isRoot { return "." }
        var out = ""
        out.reserveCapacity(wire.count + 4)
        for label in labels {
            for b in label {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: ";"), UInt8(ascii: "("),
                    UInt8(ascii: ")"), UInt8(ascii: "\""), UInt8(ascii: "@"), UInt8(ascii: "$"):
                    out.append("\\"); out.append(Character(Unicode.Scalar(b)))
                case 0x21...0x7E:
                    out.append(Character(Unicode.Scalar(b)))
                default:
                    out.append("\\")
                    let s = String(b)
                    out.append(String(repeating: "0", count: 3 - s.count) + s)
                }
            }
            out.append(".")
        }
        return out
    }
}

/// Why a domain name is not acceptable.
public enum DNSNameError: Error, Sendable, Equatable, CustomStringConvertible {
    case emptyLabel
    case labelTooLong(Int)
    case nameTooLong(Int)
    case badEscape
    case truncated
    case trailingData

    /// What went wrong, as a phrase.
    public var description: String {
        switch self {
        case .emptyLabel: return "empty label in domain name"
        case .labelTooLong(let n): return "label of \(n) octets exceeds 63 (RFC 1035 §2.3.4)"
        case .nameTooLong(let n): return "name of \(n) octets exceeds 255 (RFC 1035 §2.3.4)"
        case .badEscape: return "bad escape sequence in domain name"
        case .truncated: return "domain name truncated"
        case .trailingData: return "trailing octets after domain name"
        }
    }
}
