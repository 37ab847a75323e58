// What a caller of the front door needs, re-exported: `import IPSecKeyResolver` alone is enough to configure a
// resolver (`UpstreamAddress`, `TrustAnchors`, `ValidatorLimits`), name what to look up (`DNSName`, `RRType`), read
// verdicts (`ValidatedAnswer`, `Verdict`, `Reason`) and pass a `Logger`.
@_exported import DNSModel
@_exported import DNSSECValidator
@_exported import DNSTransport
@_exported import Logging
@_exported import Upstream
