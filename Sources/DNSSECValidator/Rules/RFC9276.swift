import DNSModel

/// RFC 9276 §3.2 (NSEC3 iterations above a limit are treated as insecure) and the CVE-2023-50868 bound on NSEC3 hash
/// computations per response.
extension DenialChecker {
    var iterations: Int { Int(nsec3s.first?.data.iterations ?? 0) }

    /// Insecure when the zone's NSEC3 iterations exceed `ValidatorLimits.maxNSEC3Iterations`; nil otherwise.
    func iterationCheck() -> DenialResult? {
        if !nsec3s.isEmpty && iterations > maxIterations {
            return .insecure(
                Reason(
                    .nsec3IterationsTooHigh,
                    "NSEC3 in \(zone) uses \(iterations) iterations, above the limit of \(maxIterations) (RFC 9276): "
                        + "treated as insecure"
                ))
        }
        return nil
    }

    var budgetReason: Reason? {
        hashes.remaining > 0
            ? nil
            : Reason(
                .workLimit,
                "more than \(hashes.limit) NSEC3 hash computations for one response "
                    + "(ValidatorLimits.maxNSEC3HashesPerResponse, CVE-2023-50868 defence)"
            )
    }

    /// A failure caused by the spent hash budget says so.
    func bounded(_ r: DenialResult) -> DenialResult {
        if case .failed = r, let b = budgetReason { return .failed(b) }
        return r
    }
}
