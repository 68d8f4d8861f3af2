import CLineEdit
import Glibc
import LabBindings

/// The REPL's history: `history` in the state directory (LabPaths.state,
/// the one the audit log and the job database use).
///
/// What was typed can hold secrets, so the file is opened once, without
/// following a symbolic link, made 0600, and refused (history off, with the
/// reason) when it is another user's or others may read it. readline never
/// opens it by name: lines go in through the descriptor checked here.
final class History {
    /// Lines kept in the file when the session ends.
    static let limit = 1000

    let path: String
    private let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// The session's history, or nil (said on stderr) when it cannot be kept safely.
    static func open(runner: Runner) -> History? {
        guard let dir = LabPaths.current.state else { return nil }
        let path = dir + "/history"
        do {
            try SafeFiles.checkStateDirectory(dir)
            return History(path: path, fd: try SafeFiles.openStateFile(path, flags: O_RDWR | O_APPEND, privacy: .secret))
        } catch {
            runner.message("history is off: \(error)")
            return nil
        }
    }

    /// Gives readline the last `limit` lines of the file.
    func load() {
        for line in lines().suffix(History.limit) { le_history_add(line, nil) }
    }

    /// Remembers a line, in the file at once so a crash keeps it.
    func add(_ line: String) {
        guard !line.isEmpty else { return }
        le_history_add(line, nil)
        try? SafeFiles.writeAll(fd, Array((line + "\n").utf8), name: path)
    }

    /// Caps the file at `limit` lines (a new file, renamed over the old one).
    func close() {
        let all = lines()
        if all.count > History.limit {
            let kept = all.suffix(History.limit).joined(separator: "\n") + "\n"
            try? SafeFiles.replace(path, with: Array(kept.utf8), mode: 0o600)
        }
        Glibc.close(fd)
    }

    /// The file's lines, read through the checked descriptor.
    private func lines() -> [String] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
            offset += off_t(n)
        }
        return bytes.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
    }
}
