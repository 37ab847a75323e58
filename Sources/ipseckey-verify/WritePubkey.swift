import Foundation
import IPSecKeyResolver

/// Why a key file could not be written or removed.
struct KeyFileError: Error, CustomStringConvertible {
    let description: String
}

/// The key files of `--write-pubkey DIR`: `OWNER.pPRECEDENCE.POSITION.pem`, one PEM SubjectPublicKeyInfo each,
/// written atomically (a temporary file in DIR, mode 0644, then `rename`). Only files of that exact shape for the
/// owner in question are ever replaced or removed; anything else in DIR is left alone.
enum KeyFiles {
    /// `gw.example.net.` precedence 10, first key → `gw.example.net.p10.1.pem`. The owner is lower-cased without its
    /// trailing dot; octets outside `a-z 0-9 - _ .` are written `%XX` so no name can leave DIR.
    static func fileName(owner: DNSName, precedence: UInt8, position: Int) -> String {
        "\(stem(owner)).p\(precedence).\(position).pem"
    }

    static func stem(_ owner: DNSName) -> String {
        if owner.labels.isEmpty { return "root" }
        return owner.labels.map { label in
            label.map { b -> String in
                let c = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
                let plain = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
                return plain ? String(UnicodeScalar(c)) : String(format: "%%%02X", c)
            }.joined()
        }.joined(separator: ".")
    }

    /// Whether `file` is one of `owner`'s key files (`STEM.pN.M.pem` with decimal N and M).
    static func belongs(_ file: String, to owner: DNSName) -> Bool {
        let prefix = stem(owner) + ".p"
        guard file.hasPrefix(prefix), file.hasSuffix(".pem") else { return false }
        let middle = file.dropFirst(prefix.count).dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
        return middle.count == 2
            && middle.allSatisfy {
                !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber)
            }
    }

    /// `owner`'s key files now in `dir`, with their contents.
    static func existing(dir: String, owner: DNSName) -> [String: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var out: [String: String] = [:]
        for n in names where belongs(n, to: owner) {
            if let d = FileManager.default.contents(atPath: dir + "/" + n) {
                out[n] = String(decoding: d, as: UTF8.self)
            }
        }
        return out
    }

    /// Makes `owner`'s key files in `dir` exactly `files` (name → PEM): files whose content differs are replaced
    /// atomically, files of the owner not in `files` are removed. Returns whether anything changed.
    @discardableResult
    static func replace(dir: String, owner: DNSName, with files: [String: String]) throws(KeyFileError) -> Bool {
        let before = existing(dir: dir, owner: owner)
        var changed = false
        for (name, content) in files.sorted(by: { $0.key < $1.key }) where before[name] != content {
            try writeAtomically(dir: dir, name: name, content: content)
            changed = true
        }
        for name in before.keys.sorted() where files[name] == nil {
            try remove(dir: dir, name: name)
            changed = true
        }
        return changed
    }

    /// Removes all of `owner`'s key files from `dir`; returns whether there were any.
    @discardableResult
    static func removeAll(dir: String, owner: DNSName) throws(KeyFileError) -> Bool {
        try replace(dir: dir, owner: owner, with: [:])
    }

    static func remove(dir: String, name: String) throws(KeyFileError) {
        if unlink(dir + "/" + name) != 0 && errno != ENOENT {
            throw KeyFileError(description: "cannot remove \(dir)/\(name): \(String(cString: strerror(errno)))")
        }
    }

    /// Temporary file in the same directory (so `rename` is atomic), mode 0644 whatever the umask, flushed to
    /// disk, then renamed over the final name. On any failure the temporary file is removed and the old file stays.
    static func writeAtomically(dir: String, name: String, content: String) throws(KeyFileError) {
        let final = dir + "/" + name
        let temporary = dir + "/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        func failure(_ what: String) -> KeyFileError {
            KeyFileError(description: "cannot write \(final): \(what): \(String(cString: strerror(errno)))")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("creating a temporary file") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        let bytes = Array(content.utf8)
        var written = 0
        var failed: KeyFileError?
        while written < bytes.count {
            let n = bytes.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                failed = failure("writing"); break
            }
            written += n
        }
        if failed == nil && fchmod(fd, 0o644) != 0 { failed = failure("setting mode 0644") }
        if failed == nil && fsync(fd) != 0 { failed = failure("flushing") }
        if close(fd) != 0 && failed == nil { failed = failure("closing") }
        if let failed { throw failed }
        guard rename(temporary, final) == 0 else { throw failure("renaming into place") }
        ok = true
    }

    /// Checks DIR before any lookup: it must be an existing, writable directory.
    static func checkDirectory(_ dir: String) -> String? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            return "--write-pubkey \(dir): no such directory"
        }
        guard access(dir, W_OK | X_OK) == 0 else { return "--write-pubkey \(dir): not writable" }
        return nil
    }
}
