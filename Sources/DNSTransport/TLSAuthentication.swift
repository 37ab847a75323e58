import DNSCrypto
import Foundation
import NIOCore

/// Why a DNS-over-TLS setting was rejected (a bad pin, an authentication name that is an address, an unreadable CA
/// file). The message names the input.
public struct TLSConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the TLS settings, as a sentence.
    public let message: String
    /// An error with its sentence.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An SPKI pin (RFC 7858 §4.2): the SHA-256 digest of a certificate's DER SubjectPublicKeyInfo, written
/// `sha256:BASE64` (the 44-character base64 of 32 octets, as `openssl x509 -pubkey | openssl pkey -pubin -outform der
/// | openssl dgst -sha256 -binary | base64` prints it).
public struct SPKIPin: Sendable, Hashable, CustomStringConvertible {
    /// The 32 octets of the digest.
    public let sha256: [UInt8]

    /// A pin from the 32 octets of a SHA-256 digest of a SubjectPublicKeyInfo.
    public init(sha256: [UInt8]) throws(TLSConfigurationError) {
        guard sha256.count == 32 else {
            throw TLSConfigurationError("an SPKI SHA-256 pin has 32 octets, not \(sha256.count)")
        }
        self.sha256 = sha256
    }

    /// `sha256:BASE64`.
    public init(parsing text: String) throws(TLSConfigurationError) {
        let prefix = "sha256:"
        guard text.lowercased().hasPrefix(prefix) else {
            throw TLSConfigurationError("pin '\(text)' must be sha256:BASE64 (the SHA-256 of the SubjectPublicKeyInfo)")
        }
        let body = String(text.dropFirst(prefix.count))
        guard let data = Data(base64Encoded: body), data.count == 32 else {
            throw TLSConfigurationError("pin '\(text)': '\(body)' is not the base64 of 32 octets")
        }
        self.sha256 = Array(data)
    }

    /// The pin of a DER SubjectPublicKeyInfo.
    public static func of(spki: [UInt8]) -> SPKIPin { SPKIPin(digest: DigestAlgorithm.sha256.hash(spki)) }

    /// A pin from a digest this module computed itself (SHA-256 always has 32 octets): nothing to check.
    private init(digest: [UInt8]) { sha256 = digest }

    public var description: String { "sha256:" + Data(sha256).base64EncodedString() }
}

/// How a DNS-over-TLS upstream is authenticated (RFC 8310 strict profile: a server that fails is not used, and
/// nothing falls back to clear text).
///
/// - With `name`: the certificate must chain to a trusted CA (`caFile`, else the system's store) and name `name`
///   (subjectAltName DNS entry); `name` is also sent as SNI.
/// - Without `name`, with `caFile` or without pins: the certificate must chain to a trusted CA and carry the server's
///   IP address as a subjectAltName.
/// - With only `pins` (no `name`, no `caFile`): the server's certificate is not checked against any CA, only its key
///   against the pins (RFC 7858 §4.2; self-signed certificates work).
/// - `pins` and a name or CA together: both must hold.
///
/// Pins are matched against the key of the server's own (leaf) certificate; give two (current and next key) to
/// roll a key over without an outage.
public struct TLSAuthentication: Sendable, Hashable {
    /// The authentication domain name (RFC 8310 §2), e.g. `dns.example.net`.
    public var name: String?
    /// SPKI pins; when not empty, the server's key must match one of them.
    public var pins: [SPKIPin]
    /// A PEM file of CA certificates to trust instead of the system's store.
    public var caFile: String?

    /// Authentication by name (checked against the certificate), by pins, or both, with an optional CA file.
    public init(name: String? = nil, pins: [SPKIPin] = [], caFile: String? = nil) {
        self.name = name
        self.pins = pins
        self.caFile = caFile
    }

    /// Only pins authenticate the server: no CA chain, no name.
    public var pinsOnly: Bool { name == nil && caFile == nil && !pins.isEmpty }

    /// Rejects an authentication name that is not a host name (an IP address goes in the server address).
    public func check() throws(TLSConfigurationError) {
        if let name {
            let bare = name.hasSuffix(".") ? String(name.dropLast()) : name
            if (try? SocketAddress(ipAddress: bare, port: 0)) != nil {
                throw TLSConfigurationError(
                    "authentication name '\(name)' is an IP address; the certificate is checked against the server's "
                        + "address without one"
                )
            }
            let labels = bare.split(separator: ".", omittingEmptySubsequences: false)
            guard !bare.isEmpty, bare.utf8.count <= 253,
                labels.allSatisfy({ label in
                    !label.isEmpty && label.utf8.count <= 63
                        && label.unicodeScalars.allSatisfy {
                            $0.isASCII
                                && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
                                    || $0 == "*")
                        }
                })
            else {
                throw TLSConfigurationError("authentication name '\(name)' is not a host name")
            }
        }
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw TLSConfigurationError("CA file '\(caFile)' cannot be read")
            }
        }
    }
}

extension UpstreamAddress {
    /// The DNS-over-TLS port (RFC 7858 §3.1).
    public static let tlsPort = 853
    /// The scheme that asks for DNS over TLS in a server string.
    public static let tlsScheme = "tls://"

    /// True when `text` asks for DNS over TLS (`tls://HOST[:PORT]`).
    public static func isTLS(_ text: String) -> Bool { text.trimmingSpaces.lowercased().hasPrefix(tlsScheme) }

    /// Parses `tls://HOST[:PORT]` (HOST an IPv4 or IPv6 address, IPv6 in brackets with a port; 853 by default).
    public init(parsingTLS text: String) throws(UpstreamAddressError) {
        let trimmed = text.trimmingSpaces
        guard trimmed.lowercased().hasPrefix(Self.tlsScheme) else {
            throw UpstreamAddressError(input: text, reason: "expected tls://HOST[:PORT]")
        }
        let rest = String(trimmed.dropFirst(Self.tlsScheme.count))
        do {
            try self.init(parsing: rest, defaultPort: Self.tlsPort)
        } catch {
            throw UpstreamAddressError(input: text, reason: error.reason)
        }
    }
}
