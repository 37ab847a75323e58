import ArgumentParser
import IPSecKeyResolver

extension IPSecKeyVerify {
    /// The checks of the IPsec options (`--write-pubkey`, `--expect-gateway`, `--format swanctl`, `--watch`).
    func validateDelivery() throws {
        let daemon =
            writePubkey != nil || expectGateway != nil || watch || [.libreswan, .swanctl].contains(effectiveFormat)
        if daemon && type != .ipseckey {
            throw ValidationError(
                "--write-pubkey, --expect-gateway, --watch and --format libreswan|swanctl need --type IPSECKEY.")
        }
        if let dir = writePubkey, let problem = KeyFiles.checkDirectory(dir) { throw ValidationError(problem) }
        if effectiveFormat == .swanctl && writePubkey == nil {
            throw ValidationError("--format swanctl names the key files: give --write-pubkey DIR.")
        }
        if let gw = expectGateway {
            do { _ = try IPSecKey.gateway(parsing: gw) } catch { throw ValidationError("--expect-gateway: \(error)") }
        }
        if watch && writePubkey == nil {
            throw ValidationError("--watch keeps key files current: give --write-pubkey DIR.")
        }
        if onChange != nil && !watch { throw ValidationError("--on-change needs --watch.") }
    }
}
