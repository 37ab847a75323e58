import Foundation
import Testing

/// Batch output must never lose a line: every record and verdict line reaches stdout in input order, byte for byte
/// the same whether stdout is a regular file or a pipe that a slow reader lets fill up, at any concurrency. Write
/// errors and interrupts end the process with their documented status and no backtrace.
///
/// The loss this guards against appeared only in optimised builds (a use-after-free of the held output block, see
/// `StandardOutput`), so these tests run the release binary when `Scripts/test` has built it.
@Suite(.serialized) struct BatchOutputTests {
    static let count = 10_000

    /// The release binary (built by `Scripts/test`), else the debug one beside the tests.
    static func optimisedBinary() -> URL {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let release = repo.appendingPathComponent(".build/release/ipseckey-verify")
        return FileManager.default.isExecutableFile(atPath: release.path) ? release : binary()
    }

    static let namesFile: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(getpid()).txt").path
        let text = (1...count).map { "w\($0).wild.nsec.test.\n" }.joined()
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }()

    func args(concurrency: Int) async throws -> [String] {
        let f = try await CLIFixture.shared.get()
        return [
            "--server", f.server.address, "--trust-anchor", f.anchor, "--timeout", "10", "--retries", "3",
            "--batch", Self.namesFile, "--concurrency", "\(concurrency)",
        ]
    }

    /// Two lines per name, in input order: the record and the verdict line.
    func checkShape(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 2 * Self.count, "\(lines.count) lines")
        var bad = 0
        for (i, pair) in stride(from: 0, to: min(lines.count, 2 * Self.count) - 1, by: 2).enumerated() {
            let name = "w\(i + 1).wild.nsec.test."
            if !lines[pair].hasPrefix(name + "\t") || lines[pair + 1] != ";; secure: \(name) IPSECKEY (wildcard)" {
                bad += 1
            }
        }
        #expect(bad == 0, "\(bad) names out of place")
    }

    /// stdout a regular file, concurrency 1 / 32 / 256, the larger two twice: identical bytes every time.
    @Test func intoARegularFileNothingIsLost() async throws {
        var reference: Data?
        for concurrency in [1, 32, 256, 256] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("batch-out-\(getpid()).txt").path
            FileManager.default.createFile(atPath: path, contents: nil)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let out = try #require(FileHandle(forWritingAtPath: path))
            let status = try await run(try await args(concurrency: concurrency), stdout: out)
            try out.close()
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(status == 0, "concurrency \(concurrency)")
            if let reference {
                #expect(data == reference, "concurrency \(concurrency): \(data.count) vs \(reference.count) octets")
            } else {
                checkShape(String(decoding: data, as: UTF8.self))
                reference = data
            }
        }
    }

    /// stdout a pipe whose reader starts late and reads in small pieces, so that the pipe fills and the writer
    /// blocks: the same bytes arrive.
    @Test func intoASlowPipeNothingIsLost() async throws {
        var reference: Data?
        for concurrency in [1, 256, 32] {
            let p = Process()
            p.executableURL = Self.optimisedBinary()
            p.arguments = try await args(concurrency: concurrency)
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = FileHandle.nullDevice
            try p.run()
            try await Task.sleep(for: .milliseconds(300))
            var data = Data()
            let reader = pipe.fileHandleForReading
            var reads = 0
            while let chunk = try reader.read(upToCount: 4096), !chunk.isEmpty {
                data.append(chunk)
                reads += 1
                if reads % 64 == 0 { try await Task.sleep(for: .milliseconds(5)) }
            }
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            if let reference {
                #expect(data == reference, "concurrency \(concurrency)")
            } else {
                checkShape(String(decoding: data, as: UTF8.self))
                reference = data
            }
        }
    }

    /// `| head -1`: the reader goes away; the process stops quietly with 141 (no backtrace, nothing on stderr).
    @Test func readerGoneIsQuiet141() async throws {
        let p = Process()
        p.executableURL = Self.optimisedBinary()
        p.arguments = try await args(concurrency: 32)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        _ = try out.fileHandleForReading.read(upToCount: 100)
        try out.fileHandleForReading.close()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 141)
        #expect(stderr.isEmpty, "\(stderr)")
    }

    /// A full disk (`/dev/full`): exit 74 and one line naming the error.
    @Test(arguments: [false, true]) func fullDiskIs74WithOneLine(batch: Bool) async throws {
        let f = try await CLIFixture.shared.get()
        let arguments =
            batch
            ? try await args(concurrency: 32)
            : ["--server", f.server.address, "--trust-anchor", f.anchor, "gw.ecdsa256.test."]
        let err = Pipe()
        let p = Process()
        p.executableURL = Self.optimisedBinary()
        p.arguments = arguments
        p.standardOutput = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        p.standardError = err
        try p.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 74)
        #expect(stderr == "ipseckey-verify: cannot write to standard output: No space left on device\n", "\(stderr)")
    }

    /// SIGINT in the middle of a batch: status 130, and what was written is whole records of names in input order.
    @Test(arguments: [[SIGINT, 130], [SIGTERM, 143]] as [[Int32]]) func interruptWritesWhatIsComplete(
        pair: [Int32]
    ) async throws {
        let (signal, status) = (pair[0], pair[1])
        let p = Process()
        p.executableURL = Self.optimisedBinary()
        p.arguments = try await args(concurrency: 1)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var data = try out.fileHandleForReading.read(upToCount: 1) ?? Data()
        kill(p.processIdentifier, signal)
        data.append(out.fileHandleForReading.readDataToEndOfFile())
        p.waitUntilExit()
        #expect(p.terminationStatus == status)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "", "output ends with a whole line")
        let verdicts = lines.filter { $0.hasPrefix(";; secure: ") }
        #expect(!verdicts.isEmpty && verdicts.count < Self.count)
        #expect(lines.dropLast().count == 2 * verdicts.count, "every name has its record and its verdict line")
        let numbers = verdicts.compactMap { Int($0.dropFirst(";; secure: w".count).prefix { $0.isNumber }) }
        #expect(numbers == numbers.sorted(), "input order")
    }

    func run(_ arguments: [String], stdout: FileHandle) async throws -> Int32 {
        let p = Process()
        p.executableURL = Self.optimisedBinary()
        p.arguments = arguments
        p.standardOutput = stdout
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
