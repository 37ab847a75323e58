import DNSCrypto
import DNSModel
import DNSSECValidator
import DNSTransport
import Foundation
import Logging

/// How a `Resolver` reaches the DNS and what it trusts.
public struct ResolverConfiguration: Sendable {
    /// Upstream recursive resolvers, tried in order; nil reads the `nameserver` lines of /etc/resolv.conf.
    public var upstreams: [UpstreamAddress]?
    /// Trust-anchor files (DS/DNSKEY lines or RFC 7958 XML); empty means the built-in IANA root anchors.
    public var trustAnchorFiles: [String] = []
    /// Per-query timeout; nil takes resolv.conf's `options timeout:` (default 5 s).
    public var timeout: Duration?
    /// Attempts per upstream; nil takes resolv.conf's `options attempts:` (default 2).
    public var attempts: Int?
    /// Use TCP only.
    public var tcpOnly = false
    /// Send DNS Cookies (RFC 7873) and check the ones that come back (see `NetworkUpstream`).
    public var cookies = true
    /// Speak DNS over TLS (RFC 7858) to every upstream, authenticated this way (`TLSUpstream`, strict profile: no
    /// fall-back to clear text). Needs explicit `upstreams` (resolv.conf cannot ask for TLS; give port 853).
    public var tls: TLSAuthentication?
    /// Validate as if at this time (unix seconds); nil is now.
    public var validationTime: UInt32?
    /// Work bounds (chain length, signature checks, NSEC3 iterations, cache size).
    public var limits = ValidatorLimits()
    /// The defaults: resolv.conf's upstreams and options, the built-in root anchors, now.
    public init() {}
}

/// A configuration that cannot be used: a trust-anchor file that is missing, unreadable or malformed.
public struct ResolverSetupError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for a program to act on.
    public enum Kind: Sendable {
        /// A trust-anchor file does not exist.
        case fileNotFound
        /// A trust-anchor file exists but cannot be read.
        case fileUnreadable
        /// A trust-anchor file holds no usable anchor or does not parse.
        case malformedTrustAnchor
        /// The configuration cannot work, e.g. no upstream resolver at all.
        case badConfiguration
    }
    /// What went wrong.
    public let kind: Kind
    /// A sentence for people.
    public let message: String
    /// The message.
    public var description: String { message }
}

/// Why `resolveAuthenticated` returned no keys, or why a `ValidatedAnswer` holds no authenticated RRset
/// (`ValidatedAnswer.authenticated()`): the front's one error type. Every case but `malformedRecords` carries the
/// validator's reason.
public enum IPSecKeyLookupError: Error, Sendable, CustomStringConvertible {
    /// Authenticated denial: the name (nameError) or its IPSECKEY RRset provably does not exist.
    case denied(Reason, nameError: Bool)
    /// The answer is provably unsigned: not trustworthy for keying.
    case insecure(Reason)
    /// Validation failed.
    case bogus(Reason)
    /// No usable answer (timeouts, SERVFAIL, limits).
    case indeterminate(Reason)
    /// The RRset is secure but none of its records parses as a usable IPSECKEY.
    case malformedRecords([IPSecKeyParseError])

    /// The validator's reason, when the error comes from the verdict.
    public var reason: Reason? {
        switch self {
        case .denied(let r, _), .insecure(let r), .bogus(let r), .indeterminate(let r): r
        case .malformedRecords: nil
        }
    }
    /// The outcome and its reason, e.g. `bogus: RRSIG over … expired …`.
    public var description: String {
        switch self {
        case .denied(let r, _): "authenticated denial: \(r.message)"
        case .insecure(let r): "insecure: \(r.message)"
        case .bogus(let r): "bogus: \(r.message)"
        case .indeterminate(let r): "indeterminate: \(r.message)"
        case .malformedRecords(let e):
            "secure IPSECKEY RRset without a usable record: \(e.map(\.description).joined(separator: "; "))"
        }
    }
}

/// A DNSSEC-validating stub resolver for IPSECKEY records. Create one and share it between tasks: it keeps one
/// cache and coalesces identical upstream queries.
///
/// ```swift
/// let resolver = try await Resolver(configuration: ResolverConfiguration(), logger: Logger(label: "ipsec"))
/// let keys = try await resolver.resolveAuthenticated(name: try DNSName("gw.example.net."))
/// ```
public final class Resolver: Sendable {
    let validator: Validator

    /// A resolver over real sockets, from a configuration.
    public convenience init(configuration: ResolverConfiguration, logger: Logger) async throws(ResolverSetupError) {
        var anchors = TrustAnchors()
        // One clock: RFC 7958 anchors are chosen (validFrom/validUntil) as of the validation time, like signatures.
        let asOf = configuration.validationTime.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? Date()
        if configuration.trustAnchorFiles.isEmpty {
            anchors = TrustAnchors.ianaRoot
        } else {
            for file in configuration.trustAnchorFiles {
                do { anchors.add(try TrustAnchors.load(path: file, now: asOf)) } catch {
                    let kind: ResolverSetupError.Kind =
                        switch error.kind {
                        case .fileNotFound: .fileNotFound
                        case .unreadable: .fileUnreadable
                        case .malformed, .empty: .malformedTrustAnchor
                        }
                    throw ResolverSetupError(kind: kind, message: "trust anchor \(error)")
                }
            }
        }
        let conf = ResolvConf.load(logger: logger)
        let servers = configuration.upstreams ?? conf.servers
        guard !servers.isEmpty else {
            throw ResolverSetupError(kind: .badConfiguration, message: "no upstream resolver")
        }
        let upstream: any DNSUpstream
        if let tls = configuration.tls {
            guard configuration.upstreams != nil else {
                throw ResolverSetupError(kind: .badConfiguration, message: "DNS over TLS needs explicit upstreams")
            }
            do {
                upstream = try TLSUpstream(
                    servers: servers, authentication: tls, timeout: configuration.timeout ?? conf.timeout,
                    attempts: configuration.attempts ?? conf.attempts, logger: logger)
            } catch {
                // A CA file that cannot be read is missing input; one that OpenSSL cannot load is bad data.
                let kind: ResolverSetupError.Kind =
                    switch tls.caFile.map({ FileManager.default.isReadableFile(atPath: $0) }) {
                    case .some(false): .fileNotFound
                    case .some(true) where error.message.hasPrefix("cannot set up TLS"): .malformedTrustAnchor
                    default: .badConfiguration
                    }
                throw ResolverSetupError(kind: kind, message: "DNS over TLS: \(error)")
            }
        } else {
            upstream = NetworkUpstream(
                servers: servers, timeout: configuration.timeout ?? conf.timeout,
                attempts: configuration.attempts ?? conf.attempts, tcpOnly: configuration.tcpOnly,
                cookies: configuration.cookies, logger: logger)
        }
        self.init(
            upstream: upstream, anchors: anchors, validationTime: configuration.validationTime,
            limits: configuration.limits, logger: logger)
    }

    /// A resolver over any upstream (an in-process test authority, a custom transport).
    public init(
        upstream: any DNSUpstream, anchors: TrustAnchors, validationTime: UInt32? = nil,
        limits: ValidatorLimits = ValidatorLimits(), logger: Logger
    ) {
        validator = Validator(
            upstream: upstream,
            configuration: ValidatorConfiguration(anchors: anchors, validationTime: validationTime, limits: limits),
            logger: logger)
    }

    /// The validated answer for any name and type, with its verdict, reason and trace. Never throws.
    public func resolve(name: DNSName, type: RRType, trace: Bool = true) async -> ValidatedAnswer {
        await validator.resolve(name: name, type: type, trace: trace)
    }

    /// The validated answer for a name or an address (through its reverse name), any type. Never throws.
    public func resolve(_ target: LookupTarget, type: RRType, trace: Bool = true) async -> ValidatedAnswer {
        await resolve(name: target.queryName, type: type, trace: trace)
    }

    /// The IPSECKEY records at `name`, only when DNSSEC proves them secure; ordered by precedence (lowest first,
    /// equal precedence shuffled for load sharing, RFC 4025 §2.1). Records that do not parse strictly are dropped
    /// (and logged); if none is left, `.malformedRecords`.
    public func resolveAuthenticated(name: DNSName) async throws(IPSecKeyLookupError) -> [IPSecKey] {
        let answer = await resolve(name: name, type: .ipseckey, trace: false)
        return try Self.keys(from: answer)
    }

    /// The IPSECKEY records for a name or an address, as ``resolveAuthenticated(name:)``.
    public func resolveAuthenticated(_ target: LookupTarget) async throws(IPSecKeyLookupError) -> [IPSecKey] {
        try await resolveAuthenticated(name: target.queryName)
    }

    /// The IPSECKEY records for an IPv4 or IPv6 address, through its reverse name. Text that is no address throws
    /// `.indeterminate` with a `malformed-answer` reason (parse a ``LookupTarget`` first to tell the two apart).
    public func resolveAuthenticated(address: String) async throws(IPSecKeyLookupError) -> [IPSecKey] {
        guard let parsed = IPAddress(address) else {
            throw .indeterminate(Reason(.malformedAnswer, "'\(address)' is not an IPv4 or IPv6 address"))
        }
        return try await resolveAuthenticated(.address(parsed))
    }

    /// Turns a validated answer into keys, or the error that says why not. Keys come only from the
    /// `AuthenticatedRRset` of a secure answer.
    public static func keys(from answer: ValidatedAnswer) throws(IPSecKeyLookupError) -> [IPSecKey] {
        try keys(in: answer.authenticated())
    }

    /// The keys of an authenticated IPSECKEY RRset; records that do not parse strictly are dropped, and if none is
    /// left, `.malformedRecords`. Another type's RRset has no keys: `.malformedRecords([])`.
    public static func keys(in set: AuthenticatedRRset) throws(IPSecKeyLookupError) -> [IPSecKey] {
        guard set.rrset.type == .ipseckey else { throw .malformedRecords([]) }
        var keys: [IPSecKey] = []
        var errors: [IPSecKeyParseError] = []
        for record in set.rrset.records {
            do {
                guard case .ipseckey(let data) = try record.parsed() else { continue }
                do { keys.append(try IPSecKey(data)) } catch { errors.append(error) }
            } catch {
                errors.append(.malformedRDATA(error))
            }
        }
        if keys.isEmpty { throw .malformedRecords(errors) }
        return order(keys)
    }

    /// Precedence order, ties shuffled.
    static func order(_ keys: [IPSecKey]) -> [IPSecKey] {
        Dictionary(grouping: keys, by: \.precedence).sorted { $0.key < $1.key }.flatMap { $0.value.shuffled() }
    }
}

extension ValidatedAnswer {
    /// The authenticated RRset of a secure data answer, or the front's one error for every other outcome: the
    /// single switch from a verdict to "may I use these records".
    public func authenticated() throws(IPSecKeyLookupError) -> AuthenticatedRRset {
        switch result {
        case .secure(let set): return set
        case let .secureDenial(reason, nameError): throw .denied(reason, nameError: nameError)
        case .insecure(let reason): throw .insecure(reason)
        case .bogus(let reason): throw .bogus(reason)
        case .indeterminate(let reason): throw .indeterminate(reason)
        }
    }
}
