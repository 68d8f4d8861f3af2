import CLua
import CLuaShim
import Connectors
import Glibc
import LuaHost

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
    /// Each library's verdict in this process, a chain (not a Dictionary nor
    /// an array of Verdicts: the check runs before every library script, and
    /// the first use of such a type costs the Swift runtime 10-100K instructions).
    private var verdicts: Verdict? = nil
    private final class Verdict {
        let dir: String
        let refusal: String?  // nil: trusted
        /// The identity lines the check found unchanged; nil when it read
        /// the files (or refused).
        let unchanged: RecordedIdentities?
        let next: Verdict?
        init(dir: String, refusal: String?, unchanged: RecordedIdentities?, next: Verdict?) {
            (self.dir, self.refusal, self.unchanged, self.next) = (dir, refusal, unchanged, next)
        }
    }
    private func verdict(_ dir: String) -> Verdict? {
        var verdict = verdicts
        while let known = verdict, known.dir != dir { verdict = known.next }
        return verdict
    }
    /// What changes() last found unchanged without reading the files (its quick path).
    private var lastUnchanged: RecordedIdentities? = nil

    public init(recordPath: String, ask: ((String) -> Bool)?) {
        self.recordPath = recordPath
        self.ask = ask
    }

    /// Is `dir` a library (has a library.lua)?
    public static func isLibrary(_ dir: String) -> Bool {
        var path = PathBytes()
        path.start(dir)
        return path.withSuffix("/library.lua", isManifest)
    }

    /// Is the file at `path` a library's library.lua (a regular file)?
    static func isManifest(_ path: UnsafePointer<CChar>) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    // ---- What a library holds ---------------------------------------------------

    /// The most files and bytes a library may hold: it is read whole at each
    /// first use, so a huge tree is refused rather than read.
    static let fileLimit = 5_000
    static let byteLimit = 64 << 20

    /// Calls `visit` for each file, link and directory below `dir` (its path
    /// below it and its lstat), `.git` left out. Throws a text naming the
    /// problem for what cannot be a library's file: a device, a FIFO, a name
    /// with a newline or a control character, a link to a directory.
    static func walk(_ dir: String, _ visit: (String, stat) throws -> Void) throws {
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
                    var target = stat()
                    guard stat(dir + "/" + child, &target) != 0 || (target.st_mode & S_IFMT) != S_IFDIR else {
                        throw SafeFiles.Failure("\(dir)/\(child) is a link to a directory; a library's links point to files")
                    }
                    try visit(child, st)
                case S_IFREG:
                    try visit(child, st)
                default:
                    throw SafeFiles.Failure("\(dir)/\(child) is neither a file, a directory nor a link")
                }
            }
        }
        try walk("")
    }

    /// Each file of `dir` (its path below it) and the SHA-256 of its bytes;
    /// a symbolic link counts as its target's text (so a changed link is a
    /// change). Too many files or bytes is an error, as `walk`'s are.
    public static func listing(_ dir: String) throws -> [String: String] {
        var files: [String: String] = [:]
        var bytes = 0
        try walk(dir) { child, st in
            var content: [UInt8]
            if (st.st_mode & S_IFMT) == S_IFLNK {  // what it points to is read through it: its text and its bytes
                content = linkHeader(dir + "/" + child)
                var target = stat()
                if stat(dir + "/" + child, &target) == 0 && (target.st_mode & S_IFMT) == S_IFREG {
                    content += try readFollowing(dir + "/" + child, limit: byteLimit - bytes)
                }
            } else {
                content = try read(dir + "/" + child, limit: byteLimit - bytes)
            }
            bytes += content.count
            files[child] = SHA256.hex(content)
            guard files.count <= fileLimit else {
                throw SafeFiles.Failure("\(dir) holds more than \(fileLimit) files; a library is a few scripts")
            }
        }
        return files
    }

    /// Each regular file of `dir` and its identity: device, inode, size,
    /// modification and change times. A file written since has another
    /// change time, which nobody but root can set back; nil when `dir` holds
    /// a link (read through, so only its digest tells).
    static func identities(_ dir: String) throws -> [String: String]? {
        var files: [String: String] = [:]
        var link = false
        try walk(dir) { child, st in
            if (st.st_mode & S_IFMT) == S_IFLNK { link = true; return }
            files[child] = identity(st)
            guard files.count <= fileLimit else {
                throw SafeFiles.Failure("\(dir) holds more than \(fileLimit) files; a library is a few scripts")
            }
        }
        return link ? nil : files
    }

    static func identity(_ st: stat) -> String {
        var bytes: [UInt8] = []
        appendIdentity(st, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What a link's digest starts with: its text, so a changed link is a change.
    static func linkHeader(_ path: String) -> [UInt8] {
        Array(("link:" + linkTarget(path) + "\0").utf8)
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

    /// What was trusted of one library: each file's SHA-256, and each
    /// regular file's identity then (LibraryTrust.identities).
    public struct Record {
        public var digests: [String: String] = [:]
        var identities: [String: String] = [:]
    }

    /// The trusted libraries by real path.
    /// The file's lines: "library PATH", then "SHA256 FILE" and "identity
    /// DEV:INO:SIZE:MTIME:CTIME FILE" for each of its files.
    public func records() throws -> [String: Record] {
        var records: [String: Record] = [:]
        try LibraryTrust.parseRecords(try readRecordFile().bytes, name: recordPath) { library, line in
            switch line {
            case .library: records[library] = Record()
            case .digest(let file, let digest): records[library]!.digests[file] = digest
            case .identity(let file, let identity): records[library]!.identities[file] = identity
            }
        }
        return records
    }

    /// What was trusted of the library at the real path `real`, from the
    /// record file's `bytes`. Only its own record is kept: a dictionary of
    /// Records costs its generic type's set-up at each start.
    private func record(of real: String, in bytes: [UInt8]) throws -> Record? {
        var record: Record? = nil
        try LibraryTrust.parseRecords(bytes, name: recordPath) { library, line in
            guard library == real else { return }
            switch line {
            case .library: record = Record()
            case .digest(let file, let digest): record!.digests[file] = digest
            case .identity(let file, let identity): record!.identities[file] = identity
            }
        }
        return record
    }

    /// One line of the record file, after the "library PATH" it belongs to.
    enum RecordLine {
        case library
        case digest(file: String, digest: String)
        case identity(file: String, identity: String)
    }

    /// The record file's bytes and when it was written, in nanoseconds
    /// (nothing and 0 when there is none).
    private func readRecordFile() throws -> (bytes: [UInt8], written: Int) {
        if recordPath.isEmpty { return ([], 0) }
        var st = stat()
        if lstat(recordPath, &st) != 0 && errno == ENOENT { return ([], 0) }
        let fd = try SafeFiles.openStateFile(recordPath, flags: O_RDONLY, privacy: .unwritable, create: false)
        defer { close(fd) }
        guard fstat(fd, &st) == 0 else { throw SafeFiles.Failure("cannot stat \(recordPath)") }
        let bytes = try SafeFiles.readAll(fd, name: recordPath, limit: LibraryTrust.byteLimit)
        return (bytes, Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec))
    }

    /// The record file's lines as Strings, each with the library it belongs
    /// to (scanRecords reads them; any line labsh does not write is an error).
    static func parseRecords(_ bytes: [UInt8], name: String, _ each: (String, RecordLine) -> Void) throws {
        var current = ""
        try bytes.withUnsafeBufferPointer { all in
            func text(_ from: Int, _ to: Int) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: all[from..<to]), as: UTF8.self)
            }
            try scanRecords(all, name: name) { kind, start, split, end in
                switch kind {
                case .library:
                    current = text(start, end)
                    each(current, .library)
                case .digest:
                    each(current, .digest(file: text(split + 1, end), digest: text(start, split)))
                case .identity:
                    each(current, .identity(file: text(split + 1, end), identity: text(start, split)))
                }
            }
        }
    }

    /// Records `dir` as trusted with the files it holds now.
    public func trust(_ dir: String) throws {
        guard !recordPath.isEmpty else { throw SafeFiles.Failure("no state directory to record trust in (set HOME or LABSH_STATE_DIR)") }
        let real = try LibraryTrust.realPath(dir)
        let identities = try LibraryTrust.identities(real) ?? [:]
        var records = try self.records()
        records[real] = Record(digests: try LibraryTrust.listing(real), identities: identities)
        try SafeFiles.checkStateDirectory(String(recordPath[..<(recordPath.lastIndex(of: "/") ?? recordPath.startIndex)]))
        var text = ""
        for library in records.keys.sorted() {
            text += "library \(library)\n"
            for (file, digest) in records[library]!.digests.sorted(by: { $0.key < $1.key }) { text += "\(digest) \(file)\n" }
            for (file, identity) in records[library]!.identities.sorted(by: { $0.key < $1.key }) {
                text += "identity \(identity) \(file)\n"
            }
        }
        try SafeFiles.replace(recordPath, with: Array(text.utf8), mode: 0o600)
        verdicts = Verdict(dir: real, refusal: nil, unchanged: nil, next: verdicts)  // found first from now on
    }

    /// What changed in `dir` since it was trusted; nil when it never was.
    public struct Changes {
        public var added: [String] = [], removed: [String] = [], changed: [String] = []
        public var none: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
    }

    public func changes(_ dir: String) throws -> (real: String, changes: Changes?) {
        let real = try LibraryTrust.realPath(dir)
        let file = try readRecordFile()
        let recorded = try file.bytes.withUnsafeBufferPointer {
            try RecordedIdentities($0, name: recordPath, library: real)
        }
        guard recorded.recorded else {
            _ = try LibraryTrust.listing(real)  // what cannot be a library's file is said first
            return (real, nil)
        }
        // The same files, not written since (their identities as recorded) and
        // none changed just before the record was written: no need to read them.
        if LibraryTrust.unchanged(real, as: recorded, written: file.written) {
            lastUnchanged = recorded
            return (real, Changes())
        }
        lastUnchanged = nil
        let now = try LibraryTrust.listing(real)
        let then = try record(of: real, in: file.bytes)?.digests ?? [:]
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
        if let known = verdict(dir) { return known.refusal }
        lastUnchanged = nil
        let refusal = decide(dir)
        verdicts = Verdict(dir: dir, refusal: refusal, unchanged: refusal == nil ? lastUnchanged : nil, next: verdicts)
        return refusal
    }

    /// Loads `file` of the library `dir` (a script or a module) as the code
    /// the check trusted: the bytes loaded are read once, from a file whose
    /// identity the check found unchanged or whose digest is the trusted
    /// one. A file changed after the check (a `git pull` while labsh runs:
    /// a long job requires a module minutes later) is refused, not run
    /// unreviewed. Text only: a compiled chunk cannot be reviewed.
    public func loadTrusted(_ L: OpaquePointer, file: String, library dir: String) throws {
        if let why = refusal(of: dir) { throw SafeFiles.Failure(why) }
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw SafeFiles.Failure("cannot read \(file): \(SafeFiles.describe(errno))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SafeFiles.Failure("cannot read \(file): \(SafeFiles.describe(errno))") }
        let bytes = try SafeFiles.readAll(fd, name: file, limit: LibraryTrust.byteLimit)
        let relative = file.utf8.dropFirst(dir.utf8.count + 1)  // FILE, as bytes: the record line is compared byte for byte
        var line: [UInt8] = []
        line.reserveCapacity(96 + relative.count)
        LibraryTrust.appendIdentity(st, to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: relative)
        line.append(UInt8(ascii: "\n"))
        if verdict(dir)?.unchanged?.contains(line) != true {
            // the check read the files, or this one changed since: its bytes must be the trusted ones
            let relative = String(decoding: relative, as: UTF8.self)
            var link = stat()
            let linked = lstat(file, &link) == 0 && (link.st_mode & S_IFMT) == S_IFLNK
            let digested = linked ? LibraryTrust.linkHeader(file) + bytes : bytes
            let trusted = try record(of: LibraryTrust.realPath(dir), in: readRecordFile().bytes)?.digests[relative]
            guard trusted == SHA256.hex(digested) else {
                throw SafeFiles.Failure("refusing the script library \(dir): \(relative) changed while labsh ran; "
                    + "review it, then run: labsh -m library trust \(dir)")
            }
        }
        // a first line "#!..." is skipped, as luaL_loadfile does (its newline stays: lines keep their numbers)
        let code = bytes.first == UInt8(ascii: "#") ? Array(bytes.drop(while: { $0 != 0x0A })) : bytes
        let status = code.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { lh_loadbuffer(L, $0.baseAddress, $0.count, "@" + file, "t") }
        }
        guard status == LUA_OK else {
            let message = LuaState.string(L, -1) ?? "?"
            lh_pop(L, 1)
            throw SafeFiles.Failure(message)
        }
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
