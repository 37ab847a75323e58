import TestAuthority
import Testing

@testable import DNSModel

@Suite("Text encodings and DNS time")
struct EncodingTests {
    // RFC 4648 §10 test vectors.
    static let rfc4648: [(String, String, String, String)] = [
        // input, base64, base32hex (lower case, no padding), base16
        ("", "", "", ""),
        ("f", "Zg==", "co", "66"),
        ("fo", "Zm8=", "cpng", "666f"),
        ("foo", "Zm9v", "cpnmu", "666f6f"),
        ("foob", "Zm9vYg==", "cpnmuog", "666f6f62"),
        ("fooba", "Zm9vYmE=", "cpnmuoj1", "666f6f6261"),
        ("foobar", "Zm9vYmFy", "cpnmuoj1e8", "666f6f626172"),
    ]

    @Test func rfc4648Vectors() {
        for (input, b64, b32, b16) in Self.rfc4648 {
            let bytes = ascii(input)
            #expect(TextEncoding.base64(bytes) == b64)
            #expect(TextEncoding.fromBase64(b64) == bytes)
            #expect(TextEncoding.base32hex(bytes) == b32)
            #expect(TextEncoding.fromBase32hex(b32) == bytes)
            #expect(TextEncoding.fromBase32hex(b32.uppercased()) == bytes)
            #expect(TextEncoding.hex(bytes) == b16)
            #expect(TextEncoding.fromHex(b16.uppercased()) == bytes)
        }
    }

    @Test func base64EdgeCases() {
        #expect(TextEncoding.fromBase64("Zm9v\n YmFy") == ascii("foobar"))
        #expect(TextEncoding.fromBase64("Zg") == ascii("f"), "unpadded input is accepted")
        #expect(TextEncoding.fromBase64("Z") == nil)
        #expect(TextEncoding.fromBase64("Zg=a") == nil)
        #expect(TextEncoding.fromBase64("Zg===") == nil)
        #expect(TextEncoding.fromBase64("@@@@") == nil)
        #expect(TextEncoding.base64([0xFF, 0xFE, 0xFD]) == "//79")
        #expect(TextEncoding.base64([0xFB, 0xFF]) == "+/8=")
        let all = (0...255).map { UInt8($0) }
        #expect(TextEncoding.fromBase64(TextEncoding.base64(all)) == all)
    }

    @Test func base32hexEdgeCases() {
        #expect(TextEncoding.fromBase32hex("w") == nil)
        #expect(TextEncoding.fromBase32hex("co==") == nil)
        let digest = (0..<20).map { UInt8($0 * 13 & 0xFF) }
        let text = TextEncoding.base32hex(digest)
        #expect(text.count == 32, "a 20-octet SHA-1 hash is 32 base32 characters")
        #expect(TextEncoding.fromBase32hex(text) == digest)
        #expect(TextEncoding.base32hex([0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == "vvvvvvvv")
        #expect(TextEncoding.base32hex([0, 0, 0, 0, 0]) == "00000000")
    }

    @Test func hexEdgeCases() {
        #expect(TextEncoding.hex([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(TextEncoding.hex([0x00, 0xAB, 0xFF], uppercase: true) == "00ABFF")
        #expect(TextEncoding.fromHex("0A bC") == [0x0A, 0xBC])
        #expect(TextEncoding.fromHex("abc") == nil)
        #expect(TextEncoding.fromHex("zz") == nil)
        #expect(TextEncoding.fromHex("") == [])
    }

    @Test func ipv4Text() {
        #expect(TextEncoding.ipv4([192, 0, 2, 1]) == "192.0.2.1")
        #expect(TextEncoding.fromIPv4("192.0.2.1") == [192, 0, 2, 1])
        #expect(TextEncoding.fromIPv4("255.255.255.255") == [255, 255, 255, 255])
        for bad in ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.4 ", "+1.2.3.4"] {
            #expect(TextEncoding.fromIPv4(bad) == nil, "\(bad)")
        }
        #expect(throws: ZoneTextError.self) { try ZoneText.records("a. 1 IN A +1.2.3.4") }
    }

    @Test func ipv6Text() throws {
        let cases: [(String, String)] = [
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:0DB8:0:8002::2000:1", "2001:db8:0:8002::2000:1"),
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("::192.0.2.1", "::192.0.2.1"),
            ("::1:2", "::0.1.0.2"),
            ("0:0:0:0:1:ffff:1:2", "::1:ffff:1:2"),
        ]
        for (input, printed) in cases {
            let bytes = try #require(TextEncoding.fromIPv6(input), "\(input)")
            #expect(bytes.count == 16)
            #expect(TextEncoding.ipv6(bytes) == printed, "\(input)")
            #expect(TextEncoding.fromIPv6(printed) == bytes, "\(printed)")
        }
        #expect(TextEncoding.fromIPv6("2001:db8::1") == [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        for bad in [
            "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7:8::", ":1:2:3:4:5:6:7",
            "+1::", "::+ff", "1::-1",
        ] {
            #expect(TextEncoding.fromIPv6(bad) == nil, "\(bad)")
        }
    }

    @Test func dnsTimeKnownPoints() {
        // Checked with `date -u -d @N +%Y%m%d%H%M%S`.
        let points: [(UInt64, String)] = [
            (0, "19700101000000"),
            (951868799, "20000229235959"),
            (1000000000, "20010909014640"),
            (1793491200, "20261101000000"),
            (2147483647, "20380119031407"),
            (4294967295, "21060207062815"),
        ]
        for (seconds, text) in points {
            #expect(DNSTime.presentation(seconds) == text)
            #expect(DNSTime.parse(text) == seconds)
        }
        #expect(DNSTime.iso8601(1793491200) == "2026-11-01T00:00:00Z")
        #expect(RData.timestamp(1793491200) == "20261101000000")
    }

    @Test func dnsTimeRejectsMalformed() {
        for bad in [
            "2026110100000", "202611010000000", "20261301000000", "20261100000000", "20261101240000",
            "20261101006000", "19691231235959", "2026110100000a", "", "-2026110100000",
        ] {
            #expect(DNSTime.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func dnsTimeRoundTripsEveryDayForCenturies() {
        var t: UInt64 = 0
        var rng = SplitMix64(seed: 86400)
        while t < 4_294_967_296 {
            let s = t + rng.next() % 86400
            #expect(DNSTime.parse(DNSTime.presentation(s)) == s)
            t += 86400 * 7
        }
    }
}
