import Foundation

/// This process's own sockets, read from /proc: how many are connected to a given port. Unlike a count of all open
/// descriptors, it is not moved by other tests running at the same time, so "every socket to the server is closed"
/// can be asserted the moment the queries return.
public enum OwnSockets {
    /// Sockets of this process (UDP or TCP, IPv4 or IPv6) whose remote end has port `port`.
    public static func connected(toPort port: Int) -> Int {
        let inodes = remoteInodes(port: port)
        guard !inodes.isEmpty,
            let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        else { return 0 }
        return fds.count { fd in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
                target.hasPrefix("socket:["), target.hasSuffix("]")
            else { return false }
            return inodes.contains(String(target.dropFirst(8).dropLast()))
        }
    }

    /// Inodes of every socket in this network namespace whose remote port is `port` (/proc/net/{udp,tcp}{,6}:
    /// "sl local_address rem_address st … uid timeout inode", addresses as HEX:PORT).
    static func remoteInodes(port: Int) -> Set<String> {
        var out = Set<String>()
        for table in ["udp", "udp6", "tcp", "tcp6"] {
            guard let text = try? String(contentsOfFile: "/proc/net/\(table)", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, let colon = fields[2].lastIndex(of: ":"),
                    Int(fields[2][fields[2].index(after: colon)...], radix: 16) == port, fields[9] != "0"
                else { continue }
                out.insert(String(fields[9]))
            }
        }
        return out
    }
}
