import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Support for the integration tests: the loopback nsd/unbound testbed of `Scripts/testbed` (Docs/Testing.md),
// a small subprocess runner, and the suite trait that brings the testbed up once and always takes it down.

/// The repository root, found from this file's path (Tests/IntegrationTests/Testbed.swift).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let testbedScript = repositoryRoot.appendingPathComponent("Scripts/testbed").path

// MARK: - Subprocesses

struct ProcessResult: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
    var commandLine: String

    var description: String {
        "$ \(commandLine)\nexit \(status)\(timedOut ? " (killed after timeout)" : "")\n--- stdout\n\(stdout)--- "
            + "stderr\n\(stderr)"
    }
}

struct ProcessLaunchError: Error, CustomStringConvertible {
    var description: String
}

/// Runs `executable` with `arguments`, stdin from /dev/null, stdout/stderr captured through temporary files (no pipe
/// deadlocks). Kills the process (TERM, then KILL) after `timeout`.
///
/// Implemented with posix_spawn and a blocking waitpid on a dedicated thread, not Foundation's `Process`: its
/// termination handler was seen never to fire with many concurrent children on Linux, hanging the whole suite.
func runProcess(
    _ executable: String, _ arguments: [String],
    timeout: Duration = .seconds(120)
) async throws -> ProcessResult {
    let commandLine = ([executable] + arguments).joined(separator: " ")
    let (pid, outPath, errPath) = try spawn(executable, arguments)
    defer {
        unlink(outPath)
        unlink(errPath)
    }
    let killed = KillFlag()
    let watchdog = Task.detached {
        do { try await Task.sleep(for: timeout) } catch { return }
        killed.set()
        kill(pid, SIGTERM)
        do { try await Task.sleep(for: .seconds(2)) } catch { return }
        kill(pid, SIGKILL)
    }
    let status: Int32 = await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: waitForExit(pid)) }
        thread.start()
    }
    watchdog.cancel()
    return ProcessResult(
        status: status, stdout: readText(outPath), stderr: readText(errPath),
        timedOut: killed.isSet, commandLine: commandLine)
}

/// Synchronous variant (test planning, `defer`): no timeout.
func runProcessSync(_ executable: String, _ arguments: [String]) -> ProcessResult? {
    guard let (pid, outPath, errPath) = try? spawn(executable, arguments) else { return nil }
    defer {
        unlink(outPath)
        unlink(errPath)
    }
    let status = waitForExit(pid)
    return ProcessResult(
        status: status, stdout: readText(outPath), stderr: readText(errPath), timedOut: false,
        commandLine: ([executable] + arguments).joined(separator: " "))
}

private final class KillFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

private func readText(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

/// Exit status, or 128 + signal number if the child was killed by a signal (as a shell reports it).
private func waitForExit(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 {
        if errno != EINTR { return -1 }
    }
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}

private func spawn(_ executable: String, _ arguments: [String]) throws -> (pid_t, String, String) {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("it-\(UUID().uuidString)").path
    let outPath = base + ".out", errPath = base + ".err"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard rc == 0 else {
        throw ProcessLaunchError(description: "cannot run \(executable): \(String(cString: strerror(rc)))")
    }
    return (pid, outPath, errPath)
}

// MARK: - Cases

enum Expected: String, Sendable, CaseIterable {
    case secure, denial, insecure, bogus, indeterminate

    /// The `ipseckey-verify` exit code for this verdict.
    var exitCode: Int32 {
        switch self {
        case .secure: 0
        case .denial: 1
        case .insecure: 2
        case .bogus: 3
        case .indeterminate: 4
        }
    }
}

/// One line of `Scripts/testbed cases`: NAME TYPE EXPECTED.
struct TestbedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var type: String
    var expected: Expected
    /// delv's verdict where it knowingly differs from ours (`delv=VERDICT` in the table; see Scripts/testbed), or
    /// nil when delv is not asked (`delv=skip`: it cannot answer the question).
    var delv: Expected?
    var testDescription: String { "\(name) \(type) \(expected.rawValue)" }
}

/// Which unbound instance of the testbed the client talks to.
enum Upstream: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case plain, validating
    var testDescription: String { rawValue }
}

enum TestbedCases {
    /// Read once, while the tests are planned. Empty (and reported by `caseTableIsReadable`) if the script fails.
    static let all: [TestbedCase] = {
        guard let result = runProcessSync("/bin/bash", [testbedScript, "cases"]), result.status == 0 else { return [] }
        return result.stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 3, let expected = Expected(rawValue: fields[2]) else { return nil }
            // Optional notes: delv=VERDICT, unbound=VERDICT (the validating unbound is checked by Scripts/testbed).
            var delv: Expected? = expected
            for note in fields.dropFirst(3) where note.hasPrefix("delv=") {
                let value = String(note.dropFirst(5))
                guard value == "skip" || Expected(rawValue: value) != nil else { return nil }
                delv = Expected(rawValue: value)
            }
            return TestbedCase(name: fields[0], type: fields[1], expected: expected, delv: delv)
        }
    }()

    static func with(_ verdict: Expected) -> [TestbedCase] { all.filter { $0.expected == verdict } }
}

// MARK: - The running testbed

/// The parsed `DIR/testbed.env` of a running testbed.
struct TestbedEnvironment: Sendable {
    var directory: String
    var plain: String
    var validating: String
    var down: String
    var anchor: String
    var delvAnchor: String
    /// The DS of `tb.`'s key-signing key: an anchor for the names below `tb.` only.
    var islandAnchor: String

    func address(of upstream: Upstream) -> String { upstream == .plain ? plain : validating }

    static func parse(file: String) throws -> TestbedEnvironment {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            values[String(line[..<eq])] = value
        }
        func need(_ key: String) throws -> String {
            guard let v = values[key], !v.isEmpty else {
                throw ProcessLaunchError(description: "\(file) has no \(key)")
            }
            return v
        }
        return TestbedEnvironment(
            directory: try need("TESTBED_DIR"), plain: try need("TESTBED_PLAIN"),
            validating: try need("TESTBED_VALIDATING"), down: try need("TESTBED_DOWN"),
            anchor: try need("TESTBED_ANCHOR"), delvAnchor: try need("TESTBED_DELV_ANCHOR"),
            islandAnchor: try need("TESTBED_ISLAND_ANCHOR"))
    }
}

enum Testbed {
    /// Set for the duration of the `IntegrationTests` suite by `TestbedTrait`.
    @TaskLocal static var current: TestbedEnvironment?

    static let requiredTools = [
        "/usr/sbin/nsd", "/usr/sbin/unbound", "/usr/bin/ldns-signzone", "/usr/bin/ldns-keygen",
        "/usr/bin/dig", "/usr/bin/delv",
    ]

    /// nil if the testbed can run here; otherwise why not.
    static let unavailableReason: String? = {
        if ProcessInfo.processInfo.environment["TESTBED_ENV"] != nil { return nil }  // an already running testbed
        if getuid() != 0 { return "the nsd/unbound testbed needs root (it binds 127.53.x.x:53); skipping" }
        let missing = requiredTools.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if !missing.isEmpty { return "the nsd/unbound testbed needs \(missing.joined(separator: ", ")); skipping" }
        return nil
    }()

    static var available: Bool { unavailableReason == nil }
}

/// Suite trait: `Scripts/testbed up` in a fresh `mktemp -d` directory before the suite, `Scripts/testbed down`
/// after it, whatever happened in between. With `TESTBED_ENV=DIR/testbed.env` in the environment it uses that
/// already running testbed instead and neither starts nor stops anything.
struct TestbedTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        if let envFile = ProcessInfo.processInfo.environment["TESTBED_ENV"] {
            let env = try TestbedEnvironment.parse(file: envFile)
            try await Testbed.$current.withValue(env) { try await function() }
            return
        }
        let made = try await runProcess("/bin/mktemp", ["-d", "-t", "ipseckey-testbed.XXXXXX"])
        let dir = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard made.status == 0, !dir.isEmpty else { throw ProcessLaunchError(description: "mktemp failed: \(made)") }
        // Armed before `up`: `up` stops what it started if it fails, and `down` is idempotent.
        defer { takeDown(dir) }
        let up = try await runProcess("/bin/bash", [testbedScript, "up", dir], timeout: .seconds(180))
        guard up.status == 0 else {
            throw ProcessLaunchError(description: "Scripts/testbed up failed (logs in \(dir)):\n\(up)")
        }
        let env = try TestbedEnvironment.parse(file: dir + "/testbed.env")
        try await Testbed.$current.withValue(env) { try await function() }
    }

    /// Synchronous so that it can run from `defer`.
    private func takeDown(_ dir: String) {
        let result = runProcessSync("/bin/bash", [testbedScript, "down", dir])
        if result?.status != 0 {
            FileHandle.standardError.write(Data("IntegrationTests: Scripts/testbed down \(dir) failed\n".utf8))
        }
    }
}

extension Trait where Self == TestbedTrait {
    /// Runs the suite against a freshly started loopback testbed.
    static var testbed: TestbedTrait { TestbedTrait() }
}

// MARK: - The CLI

enum CLI {
    static let binary = repositoryRoot.appendingPathComponent(".build/debug/ipseckey-verify").path

    /// The product built in the main `.build` (`swift build --product ipseckey-verify`), built here if missing.
    /// `IPSECKEY_VERIFY=/path/to/binary` overrides.
    static func path() async throws -> String {
        if let override = ProcessInfo.processInfo.environment["IPSECKEY_VERIFY"] { return override }
        if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        return try await buildOnce.value
    }

    /// One build, shared by every test that needs it.
    private static let buildOnce = Task<String, any Error> {
        let result = try await runProcess(
            "/usr/bin/env", ["swift", "build", "--package-path", repositoryRoot.path, "--product", "ipseckey-verify"],
            timeout: .seconds(1200))
        guard result.status == 0, FileManager.default.isExecutableFile(atPath: CLI.binary) else {
            throw ProcessLaunchError(description: "could not build ipseckey-verify:\n\(result)")
        }
        return CLI.binary
    }

    static func run(_ arguments: [String], timeout: Duration = .seconds(90)) async throws -> ProcessResult {
        try await runProcess(try await path(), arguments, timeout: timeout)
    }
}
