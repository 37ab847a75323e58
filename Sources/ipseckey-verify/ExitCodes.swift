import ArgumentParser
import IPSecKeyResolver

/// The exit codes of `ipseckey-verify` (documented in `--help`, README.md and Docs/CLI.md).
/// With several names the process exits with the highest code among them.
enum Exit: Int32, Comparable {
    /// Secure: authenticated records printed.
    case secure = 0
    /// Authenticated denial: the name or the type provably does not exist.
    case denial = 1
    /// Insecure: the answer is provably unsigned; rejected.
    case insecure = 2
    /// Bogus: validation failed; rejected.
    case bogus = 3
    /// Indeterminate: no usable answer (timeouts, unreachable upstream, SERVFAIL, no trust anchor).
    case indeterminate = 4
    /// Secure, but no record's gateway is the one `--expect-gateway` names.
    case noGatewayMatch = 5
    /// Secure, but no key can be handed to an IPsec daemon (algorithm 0 or unassigned, DSA, RSA under 2048 bits;
    /// for `--format libreswan` also keys libreswan cannot load).
    case noExportableKey = 6
    /// Usage error (sysexits EX_USAGE).
    case usage = 64
    /// Malformed input data, e.g. a bad trust-anchor file (EX_DATAERR).
    case dataError = 65
    /// An input file cannot be opened (EX_NOINPUT).
    case noInput = 66
    /// Internal error (EX_SOFTWARE).
    case software = 70
    /// A key file cannot be written (EX_CANTCREAT).
    case cannotCreate = 73
    /// Standard output could not be written (ENOSPC, EIO…): one line on stderr (EX_IOERR).
    case ioError = 74
    /// Batch interrupted by SIGINT: completed results written (128 + 2).
    case interrupted = 130
    /// The reader of standard output went away (EPIPE): stopped quietly, as if killed by SIGPIPE (128 + 13).
    case readerGone = 141
    /// Batch stopped by SIGTERM: completed results written (128 + 15).
    case terminated = 143

    /// The one switch from the front's error type to an exit code. A secure RRset none of whose records parses is
    /// treated as bogus: nothing in it can be used.
    init(_ error: IPSecKeyLookupError) {
        switch error {
        case .denied: self = .denial
        case .insecure: self = .insecure
        case .bogus, .malformedRecords: self = .bogus
        case .indeterminate: self = .indeterminate
        }
    }

    static func < (a: Exit, b: Exit) -> Bool { a.rawValue < b.rawValue }
    var code: ExitCode { ExitCode(rawValue) }
}
