import Foundation
import Testing

@testable import DNSModel

/// Parses a name or fails the test with the typed error.
func dn(_ text: String) throws -> DNSName { try DNSName(text) }

/// ASCII bytes of a string, for building wire vectors by hand.
func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Length-prefixed labels plus the root octet, written out label by label.
func wireName(_ labels: String...) -> [UInt8] {
    var out: [UInt8] = []
    for l in labels { out.append(UInt8(l.utf8.count)); out += ascii(l) }
    out.append(0)
    return out
}

func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
func be32(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
}

/// The error `Message(wire:)` throws, or nil when it decodes.
func decodeError(_ bytes: [UInt8]) -> DNSWireError? {
    do { _ = try Message(wire: bytes); return nil } catch { return error }
}

/// A 12-octet header with the given counts (ID 0xABCD, flags 0).
func header(qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0, flags: UInt16 = 0) -> [UInt8] {
    [0xAB, 0xCD] + be16(flags) + be16(qd) + be16(an) + be16(ns) + be16(ar)
}

/// Runs the system `ldns-read-zone` on zone text and returns its record lines (comments and blank lines removed).
enum LDNS {
    static let readZonePath = "/usr/bin/ldns-read-zone"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: readZonePath) }

    struct Failure: Error, CustomStringConvertible {
        var status: Int32
        var stderr: String
        var description: String { "ldns-read-zone exited \(status): \(stderr)" }
    }

    static func readZone(_ text: String) throws -> [String] {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dnsmodeltests-\(UUID().uuidString).zone")
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: readZonePath)
        process.arguments = [url.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(status: process.terminationStatus, stderr: String(decoding: errData, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: true)
            .map(String.init)
            .filter { !$0.hasPrefix(";") }
    }

    /// The single record line ldns prints for one record of zone text.
    static func line(_ text: String) throws -> String {
        let lines = try readZone(text)
        try #require(lines.count == 1, "ldns printed \(lines.count) lines: \(lines)")
        return lines[0]
    }
}
