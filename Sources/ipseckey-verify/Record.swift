import ArgumentParser
import Foundation
import IPSecKeyResolver

/// `ipseckey-verify record`: the other direction, a PEM public key to the IPSECKEY record that publishes it.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipseckey-verify record",
        abstract: "Print the IPSECKEY record (presentation form) that publishes a PEM public key.",
        discussion: """
            RSA keys become algorithm 2 (RFC 3110 form), ECDSA P-256/P-384 algorithm 3 (RFC 8005), Ed25519/Ed448
            algorithm 4 (RFC 9373). The gateway type follows from --gateway: an IPv4 address (1), an IPv6 address (2), a
            domain name (3) or '.' for none (0). Keys an IPsec peer must not use (DSA, RSA under 2048 bits, other \
            curves)
            are refused with the reason (exit 65); an unreadable file exits 66.

            EXAMPLE
              ipseckey-verify record --precedence 10 --gateway 192.0.2.38 --name gw.example.net. \
              /etc/swanctl/pubkey/me.pem
            """)

    @Option(help: ArgumentHelp("Precedence, 0–255 (lower is preferred).", valueName: "P"))
    var precedence: UInt8 = 10

    @Option(help: ArgumentHelp("The gateway: IPv4 or IPv6 address, domain name, or '.' for none.", valueName: "G"))
    var gateway: String

    @Option(help: ArgumentHelp("Owner name of the record (default '@', the zone's origin).", valueName: "NAME"))
    var name: String = "@"

    @Option(help: ArgumentHelp("TTL in seconds.", valueName: "SECONDS"))
    var ttl: UInt32 = 3600

    @Flag(help: "Print only the RDATA (for `ipseckey-testbed serve --ipseckey NAME=RDATA`).")
    var rdata = false

    @Argument(
        help: ArgumentHelp("PEM public key file (-----BEGIN PUBLIC KEY-----), '-' for stdin.", valueName: "KEY.pem"))
    var keyFile: String

    func validate() throws {
        do { _ = try IPSecKey.gateway(parsing: gateway) } catch { throw ValidationError("--gateway: \(error)") }
        if name != "@" {
            do { _ = try DNSName(name) } catch { throw ValidationError("--name '\(name)': \(error)") }
        }
    }

    func run() throws {
        let data: Data?
        if keyFile == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: keyFile)
        }
        guard let data else {
            FileHandle.standardError.write(Data("ipseckey-verify: record: cannot open \(keyFile)\n".utf8))
            throw Exit.noInput.code
        }
        let key: IPSecKey
        do {
            key = try IPSecKey(
                publishing: String(decoding: data, as: UTF8.self), precedence: precedence,
                gateway: try IPSecKey.gateway(parsing: gateway))
        } catch {
            FileHandle.standardError.write(Data("ipseckey-verify: record: \(keyFile): \(error)\n".utf8))
            throw Exit.dataError.code
        }
        let line = rdata ? key.description : "\(name)\t\(ttl)\tIN\tIPSECKEY\t\(key.description)"
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
