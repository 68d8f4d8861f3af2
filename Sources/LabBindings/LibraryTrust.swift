import Connectors
import Glibc

/// Trust on first use for shared script libraries (DESIGN.md, "Trust
/// boundaries"). A LABSH_PATH entry holding a `library.lua` is a library:
/// its scripts are in `scripts/`, its modules in `lib/`. Nothing of a library
/// runs until an operator has trusted its files as they are now: the state
/// directory's `trusted-libraries` keeps, per library, the SHA-256 of each
/// file when it was trusted. A new library, or one whose files changed
/// since (a `git pull`), is shown (files added, removed, changed) and asked
/// about at a terminal; anywhere else (cron) it is refused until
/// `labsh -m library trust DIR`.
public final class LibraryTrust {
    /// The record file: STATE/trusted-libraries ("" without a state directory).
    public let recordPath: String
    /// Asks the person at the terminal; nil where nobody can answer.
    let ask: ((String) -> Bool)?
    /// Each library's verdict in this process: nil trusted, else the refusal.
    private var verdicts: [String: String?] = [:]

    public init(recordPath: String, ask: ((String) -> Bool)?) {
        self.recordPath = recordPath
        self.ask = ask
    }

    /// Is `dir` a library (has a library.lua)?
    public static func isLibrary(_ dir: String) -> Bool {
        var st = stat()
        return stat(dir + "/library.lua", &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    // ---- What a library holds ---------------------------------------------------

    /// The most files and bytes a library may hold: it is read whole at each
    /// first use, so a huge tree is refused rather than read.
    static let fileLimit = 5_000
    static let byteLimit = 64 << 20

    /// Each file of `dir` (its path below it) and the SHA-256 of its bytes;
    /// a symbolic link counts as its target's text (so a changed link is a
    /// change) and `.git` is left out. Throws a text naming the problem for
    /// what cannot be a library's file: a device, a FIFO, a name with a
    /// newline or a control character, too many files or bytes.
    public static func listing(_ dir: String) throws -> [String: String] {
        var files: [String: String] = [:]
        var bytes = 0
        func walk(_ relative: String) throws {
            let path = relative.isEmpty ? dir : dir + "/" + relative
            guard let names = directoryNames(path) else { throw SafeFiles.Failure("cannot read the directory \(path)") }
            for name in names.sorted() where !(relative.isEmpty && name == ".git") {
                guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                    throw SafeFiles.Failure("\(path): a file name with a control character; rename it")
                }
                let child = relative.isEmpty ? name : relative + "/" + name
                var st = stat()
                guard lstat(dir + "/" + child, &st) == 0 else { throw SafeFiles.Failure("cannot stat \(dir)/\(child)") }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    try walk(child)
                case S_IFLNK:
                    // what it points to is read through it: its text and, for a file, its bytes
                    var target = stat()
                    guard stat(dir + "/" + child, &target) != 0 || (target.st_mode & S_IFMT) != S_IFDIR else {
                        throw SafeFiles.Failure("\(dir)/\(child) is a link to a directory; a library's links point to files")
                    }
                    var content = Array(("link:" + linkTarget(dir + "/" + child) + "\0").utf8)
                    if (target.st_mode & S_IFMT) == S_IFREG {
                        content += try readFollowing(dir + "/" + child, limit: byteLimit - bytes)
                    }
                    bytes += content.count
                    files[child] = SHA256.hex(content)
                case S_IFREG:
                    let content = try read(dir + "/" + child, limit: byteLimit - bytes)
                    bytes += content.count
                    files[child] = SHA256.hex(content)
                default:
                    throw SafeFiles.Failure("\(dir)/\(child) is neither a file, a directory nor a link")
                }
                guard files.count <= fileLimit else {
                    throw SafeFiles.Failure("\(dir) holds more than \(fileLimit) files; a library is a few scripts")
                }
            }
        }
        try walk("")
        return files
    }

    static func linkTarget(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        return n < 0 ? "" : String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func read(_ path: String, limit: Int) throws -> [UInt8] {
        try read(path, flags: O_NOFOLLOW, limit: limit)
    }

    static func readFollowing(_ path: String, limit: Int) throws -> [UInt8] {
        try read(path, flags: 0, limit: limit)
    }

    private static func read(_ path: String, flags: Int32, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | flags)
        guard fd >= 0 else { throw SafeFiles.Failure("cannot read \(path): \(SafeFiles.describe(errno))") }
        defer { close(fd) }
        return try SafeFiles.readAll(fd, name: path, limit: limit)
    }

    // ---- The record -------------------------------------------------------------

    /// The trusted libraries: real path -> (file -> SHA-256). The file's lines:
    /// "library PATH", then "SHA256 FILE" for each of its files.
    public func records() throws -> [String: [String: String]] {
        if recordPath.isEmpty { return [:] }
        var st = stat()
        if lstat(recordPath, &st) != 0 && errno == ENOENT { return [:] }
        let fd = try SafeFiles.openStateFile(recordPath, flags: O_RDONLY, privacy: .unwritable, create: false)
        defer { close(fd) }
        let text = String(decoding: try SafeFiles.readAll(fd, name: recordPath, limit: LibraryTrust.byteLimit),
                          as: UTF8.self)
        var records: [String: [String: String]] = [:]
        var current: String? = nil
        for (number, line) in text.split(separator: "\n").enumerated() {
            if line.hasPrefix("library ") {
                current = String(line.dropFirst("library ".count))
                records[current!] = [:]
            } else if let library = current, line.count > 65, line.utf8.dropFirst(64).first == UInt8(ascii: " ") {
                records[library]![String(line.dropFirst(65))] = String(line.prefix(64))
            } else {
                throw SafeFiles.Failure("\(recordPath):\(number + 1): not a line labsh writes; "
                    + "remove the file and trust the libraries again")
            }
        }
        return records
    }

    /// Records `dir` as trusted with the files it holds now.
    public func trust(_ dir: String) throws {
        guard !recordPath.isEmpty else { throw SafeFiles.Failure("no state directory to record trust in (set HOME or LABSH_STATE_DIR)") }
        let real = try LibraryTrust.realPath(dir)
        let files = try LibraryTrust.listing(real)
        var records = try self.records()
        records[real] = files
        try SafeFiles.checkStateDirectory(String(recordPath[..<(recordPath.lastIndex(of: "/") ?? recordPath.startIndex)]))
        var text = ""
        for library in records.keys.sorted() {
            text += "library \(library)\n"
            for (file, digest) in records[library]!.sorted(by: { $0.key < $1.key }) { text += "\(digest) \(file)\n" }
        }
        try SafeFiles.replace(recordPath, with: Array(text.utf8), mode: 0o600)
        verdicts[real] = .some(nil)
    }

    /// What changed in `dir` since it was trusted; nil when it never was.
    public struct Changes {
        public var added: [String] = [], removed: [String] = [], changed: [String] = []
        public var none: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
    }

    public func changes(_ dir: String) throws -> (real: String, changes: Changes?) {
        let real = try LibraryTrust.realPath(dir)
        let now = try LibraryTrust.listing(real)
        guard let then = try records()[real] else { return (real, nil) }
        var changes = Changes()
        for (file, digest) in now.sorted(by: { $0.key < $1.key }) {
            if let old = then[file] { if old != digest { changes.changed.append(file) } } else { changes.added.append(file) }
        }
        changes.removed = then.keys.filter { now[$0] == nil }.sorted()
        return (real, changes)
    }

    static func realPath(_ dir: String) throws -> String {
        guard let resolved = realpath(dir, nil) else {
            throw SafeFiles.Failure("no library at \(dir): \(SafeFiles.describe(errno))")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    // ---- The check before anything of a library runs ---------------------------

    /// nil when `dir`'s files are the trusted ones (or the person at the
    /// terminal trusts them now), else the refusal: what changed and the fix.
    public func refusal(of dir: String) -> String? {
        if let verdict = verdicts[dir] { return verdict }
        let verdict = decide(dir)
        verdicts[dir] = .some(verdict)
        return verdict
    }

    private func decide(_ dir: String) -> String? {
        let found: (real: String, changes: Changes?)
        do { found = try changes(dir) } catch { return "refusing the library \(dir): \(error)" }
        if let changes = found.changes, changes.none { return nil }
        let what = found.changes.map { "has changed since it was trusted (" + LibraryTrust.describe($0) + ")" }
            ?? "is not trusted yet"
        let fix = "review it, then run: labsh -m library trust \(dir)"
        if let ask, ask("labsh: the script library \(found.real) \(what).\nTrust it and run its code? [y/N] ") {
            do {
                try trust(dir)
                return nil
            } catch {
                return "cannot record the trust in \(dir): \(error)"
            }
        }
        return "refusing the script library \(found.real): it \(what); \(fix)"
    }

    /// "changed: lib/x.lua; added: scripts/y.lua; removed: z"
    public static func describe(_ changes: Changes) -> String {
        [("changed", changes.changed), ("added", changes.added), ("removed", changes.removed)]
            .filter { !$0.1.isEmpty }
            .map { "\($0.0): \($0.1.joined(separator: ", "))" }
            .joined(separator: "; ")
    }

    /// Asks on the terminal when both stdin and stderr are one: "y" or "yes".
    public static func askAtTerminal(_ question: String) -> Bool {
        guard isatty(0) == 1 && isatty(2) == 1 else { return false }
        fputs(question, stderr)
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), stdin) != nil else { return false }
        // bytes, not Characters: "\r\n" is one Character and would hide a "\n"
        let answer = String(decoding: String(cString: line).utf8.filter { ![9, 10, 13, 32].contains($0) }, as: UTF8.self)
        return answer == "y" || answer == "yes"
    }
}
